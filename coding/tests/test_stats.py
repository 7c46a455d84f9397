"""The agreement service: a run from the coders' codings as the member may see them, with codes
aligned across coders, missing values where a coder had no part, the blind rule, the reflexive
mode's justification, and every bad input refused with its reason and nothing stored."""

import pytest
from django.core.exceptions import ValidationError

from coding.models import AgreementRun, CodeAlignment
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply
from coding.stats import Blind, agreement_compute, run_as_json, statistics_by_default
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership, Study
from studies.tests.factories import make_study

pytestmark = pytest.mark.django_db

REASON = "Two coders compared their layers before the team meeting, as the protocol says."


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, code):
    text = transcript.versions.get().text
    start = text.index(words)
    return coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[code],
    )


@pytest.fixture
def codebook_study(study):
    study.analysis_mode = Study.AnalysisMode.CODEBOOK
    study.save()
    return study


@pytest.fixture
def p1(codebook_study):
    return make_locked_transcript(codebook_study, "P1")


@pytest.fixture
def trust(codebook_study, lead):
    return code_create(member=member(codebook_study, lead), label="trust")


@pytest.fixture
def coded(codebook_study, p1, trust, coder_a, coder_b):
    """On P1's four turns (I, P, I, P) coder A codes turn 2 and coder B turns 2 and 4, with the
    lead's shared code: A = 0 1 0 0, B = 0 1 0 1."""
    apply(codebook_study, coder_a, p1, "I listen first", trust)
    apply(codebook_study, coder_b, p1, "café small talk", trust)
    apply(codebook_study, coder_b, p1, "I name it", trust)
    return p1


def compute(study, user, coders, **options):
    return agreement_compute(member=member(study, user), coders=coders, **options)


class TestARun:
    def test_the_statistics_of_each_code_are_stored_with_the_options_and_audited(
        self, codebook_study, coded, trust, lead, coder_a, coder_b
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert run.unit == "turn" and run.threshold is None and not run.exclude_interviewer
        assert set(run.coders.all()) == {coder_a, coder_b}
        assert list(run.transcripts.all()) == [coded]
        (row,) = run.result["rows"]
        assert row["code"] == "trust" and row["codes"] == [str(trust.uuid)]
        assert row["by"] == ["lead"]
        assert row["n_units"] == 4
        assert row["prevalence_a"] == 0.25 and row["prevalence_b"] == 0.5
        assert row["percent_agreement"] == 0.75
        assert row["cohen_kappa"] == pytest.approx(0.5)
        assert run.result["coders"] == [
            {"id": coder_a.pk, "username": "coder_a"},
            {"id": coder_b.pk, "username": "coder_b"},
        ]
        assert run.result["transcripts"] == {
            str(coded.uuid): {"version": 1, "coders": ["coder_a", "coder_b"]}
        }
        assert run.result["mode"] == "codebook"
        event = AuditEvent.objects.get(action=AuditEvent.Action.AGREEMENT)
        assert event.actor == lead and event.study == codebook_study
        assert event.details["run"] == str(run.uuid) and event.details["codes"] == 1

    def test_the_codebook_state_is_each_codes_label_and_revision(
        self, codebook_study, coded, trust, lead, coder_a, coder_b
    ):
        trust.revision = 3
        trust.save()
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert run.codebook == {str(trust.uuid): {"label": "trust", "revision": 3}}

    def test_the_order_of_the_coders_is_kept(self, codebook_study, coded, lead, coder_a, coder_b):
        (row,) = compute(codebook_study, lead, [coder_b, coder_a]).result["rows"]
        assert row["prevalence_a"] == 0.5 and row["prevalence_b"] == 0.25

    @pytest.mark.parametrize(
        ("options", "agreement", "kappa", "units"),
        [
            ({"exclude_interviewer": True}, 0.5, 0.0, 2),
            ({"unit": "transcript"}, 1.0, None, 1),
            ({"unit": "segment", "threshold": 0.5}, 0.0, -0.8, 3),
        ],
    )
    def test_the_unit_and_the_interviewer_turns_change_the_units(
        self, codebook_study, coded, lead, coder_a, coder_b, options, agreement, kappa, units
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b], **options)
        (row,) = run.result["rows"]
        assert row["percent_agreement"] == agreement
        assert row["cohen_kappa"] == (pytest.approx(kappa) if kappa is not None else None)
        assert row["n_units"] == units
        assert run.threshold == options.get("threshold")

    def test_the_character_unit_counts_characters_of_the_turns(
        self, codebook_study, coded, lead, coder_a, coder_b
    ):
        text = coded.versions.get().text
        (row,) = compute(codebook_study, lead, [coder_a, coder_b], unit="character").result["rows"]
        assert row["n_units"] == len(text) - 3 * 2  # the separators are no units
        assert row["prevalence_a"] == pytest.approx(len("I listen first") / row["n_units"])

    def test_aligned_codes_count_as_one_code(self, codebook_study, p1, lead, coder_a, coder_b):
        safety = code_create(member=member(codebook_study, coder_a), label="creating safety")
        space = code_create(member=member(codebook_study, coder_b), label="safe space")
        apply(codebook_study, coder_a, p1, "I listen first", safety)
        apply(codebook_study, coder_b, p1, "café small talk", space)
        (first, second) = compute(codebook_study, lead, [coder_a, coder_b]).result["rows"]
        assert (first["code"], first["percent_agreement"]) == ("creating safety", 0.75)
        assert (second["code"], second["percent_agreement"]) == ("safe space", 0.75)

        low, high = sorted([safety, space], key=lambda code: code.pk)
        CodeAlignment.objects.create(
            study=codebook_study, code_a=low, code_b=high, confirmed_by=lead
        )
        run = compute(codebook_study, lead, [coder_a, coder_b])
        (row,) = run.result["rows"]
        assert row["code"] == "creating safety ≈ safe space"
        assert row["codes"] == [str(safety.uuid), str(space.uuid)]
        assert row["by"] == ["coder_a", "coder_b"]
        assert row["percent_agreement"] == 1.0 and row["n_units"] == 4
        assert set(run.codebook) == {str(safety.uuid), str(space.uuid)}

    def test_codes_of_the_same_label_not_aligned_stay_apart(
        self, codebook_study, p1, lead, coder_a, coder_b
    ):
        for coder in (coder_a, coder_b):
            code = code_create(member=member(codebook_study, coder), label="repair")
            apply(codebook_study, coder, p1, "we repair it together", code)
        rows = compute(codebook_study, lead, [coder_a, coder_b]).result["rows"]
        assert [(row["code"], row["by"]) for row in rows] == [
            ("repair", ["coder_a"]),
            ("repair", ["coder_b"]),
        ]


class TestWhichTranscripts:
    @pytest.fixture
    def p2(self, codebook_study, coded, trust, coder_a):
        p2 = make_locked_transcript(codebook_study, "P2")
        apply(codebook_study, coder_a, p2, "I listen first", trust)
        return p2

    def test_by_default_only_transcripts_two_coders_coded(
        self, codebook_study, coded, p2, lead, coder_a, coder_b
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert list(run.transcripts.all()) == [coded]

    def test_a_coder_who_did_not_code_a_transcript_is_missing_there_not_zero(
        self, codebook_study, coded, p2, lead, coder_a, coder_b
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b], transcripts=[coded, p2])
        assert run.result["transcripts"][str(p2.uuid)]["coders"] == ["coder_a"]
        (row,) = run.result["rows"]
        assert row["n_units"] == 8
        assert row["prevalence_a"] == 2 / 8 and row["prevalence_b"] == 2 / 4
        assert row["percent_agreement"] == 0.75  # only P1's units are compared

    def test_a_coder_of_a_round_was_assigned_its_transcripts(
        self, codebook_study, coded, p2, lead, coder_a, coder_b
    ):
        coding_round = round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[p2],
            coders=[coder_a, coder_b],
        )
        round_unblind(member=member(codebook_study, lead), coding_round=coding_round)
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert set(run.transcripts.all()) == {coded, p2}
        assert run.result["transcripts"][str(p2.uuid)]["coders"] == ["coder_a", "coder_b"]
        (row,) = run.result["rows"]
        assert row["percent_agreement"] == 6 / 8  # B coded nothing on P2: zeros there

    def test_only_the_current_version_counts(
        self, codebook_study, coded, trust, lead, coder_a, coder_b
    ):
        old = coded.versions.get()
        new = coded.versions.create(number=2, text=old.text)
        for turn in old.turns.all():
            turn.pk, turn.version = None, new
            turn.save()
        apply_new = coding_apply(
            member=member(codebook_study, coder_a),
            transcript=coded,
            start=0,
            end=5,
            codes=[trust],
        )
        assert apply_new[0].version == new
        coding_apply(
            member=member(codebook_study, coder_b), transcript=coded, start=0, end=5, codes=[trust]
        )
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert run.result["transcripts"][str(coded.uuid)]["version"] == 2
        (row,) = run.result["rows"]
        assert row["percent_agreement"] == 1.0 and row["prevalence_a"] == 0.25


class TestRefusals:
    @pytest.mark.parametrize(
        ("make", "field", "message"),
        [
            (lambda s, a, b, o, v: {"coders": [a]}, "coders", "at least two different coders"),
            (lambda s, a, b, o, v: {"coders": [a, a]}, "coders", "at least two different coders"),
            (
                lambda s, a, b, o, v: {"coders": [a, o]},
                "coders",
                "outsider is not a member of this study",
            ),
            (
                lambda s, a, b, o, v: {"coders": [a, v]},
                "coders",
                "viewer is a viewer: viewers have no codings",
            ),
            (lambda s, a, b, o, v: {"unit": "word"}, "unit", "There is no unit “word”"),
            (
                lambda s, a, b, o, v: {"unit": "segment", "threshold": 0},
                "threshold",
                "more than 0, at most 1",
            ),
            (
                lambda s, a, b, o, v: {"unit": "segment", "threshold": 1.5},
                "threshold",
                "more than 0, at most 1",
            ),
            (
                lambda s, a, b, o, v: {"unit": "segment", "threshold": None},
                "threshold",
                "more than 0, at most 1",
            ),
            (
                lambda s, a, b, o, v: {"unit": "segment", "threshold": float("nan")},
                "threshold",
                "more than 0, at most 1",
            ),
            (lambda s, a, b, o, v: {"transcripts": []}, "transcripts", "at least one transcript"),
            (
                lambda s, a, b, o, v: {"transcripts": [unlocked(s)]},
                "transcripts",
                "“Interview with P7” is not locked",
            ),
            (
                lambda s, a, b, o, v: {"transcripts": [foreign(o)]},
                "transcripts",
                "belongs to another study",
            ),
        ],
    )
    def test_bad_input_is_refused_with_its_reason_and_nothing_is_stored(
        self, codebook_study, coded, lead, coder_a, coder_b, outsider, viewer, make, field, message
    ):
        options = {"coders": [coder_a, coder_b]} | make(
            codebook_study, coder_a, coder_b, outsider, viewer
        )
        with pytest.raises(ValidationError) as caught:
            compute(codebook_study, lead, **options)
        assert any(message in text for text in caught.value.message_dict[field])
        assert not AgreementRun.objects.exists()
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.AGREEMENT).exists()

    def test_a_viewer_does_not_compute(self, codebook_study, coded, viewer, coder_a, coder_b):
        with pytest.raises(ValidationError, match="a viewer reads them"):
            compute(codebook_study, viewer, [coder_a, coder_b])
        assert not AgreementRun.objects.exists()

    def test_nothing_to_compare_is_said(self, codebook_study, p1, lead, coder_a, coder_b):
        with pytest.raises(ValidationError, match="No locked transcript has been coded by two"):
            compute(codebook_study, lead, [coder_a, coder_b])
        with pytest.raises(ValidationError, match="applied no codes to these transcripts"):
            compute(codebook_study, lead, [coder_a, coder_b], transcripts=[p1])
        assert not AgreementRun.objects.exists()

    def test_a_former_coder_is_still_compared(self, codebook_study, coded, lead, coder_a, coder_b):
        Membership.objects.filter(study=codebook_study, user=coder_b).update(
            expires_on="2020-01-01"
        )
        assert compute(codebook_study, lead, [coder_a, coder_b]).result["rows"]


def unlocked(study):
    transcript = make_locked_transcript(study, "P7")
    transcript.state = transcript.State.REVIEW
    transcript.save()
    return transcript


def foreign(user):
    other = make_study(creator=user, title="Another study")
    return make_locked_transcript(other, "P1", user=user)


class TestReflexiveMode:
    @pytest.fixture
    def reflexive(self, codebook_study, coded):
        codebook_study.analysis_mode = Study.AnalysisMode.REFLEXIVE
        codebook_study.save()
        return codebook_study

    def test_statistics_are_offered_by_default_only_outside_reflexive_ta(self, study):
        assert not statistics_by_default(study)
        for mode in (Study.AnalysisMode.CODEBOOK, Study.AnalysisMode.CODING_RELIABILITY):
            study.analysis_mode = mode
            assert statistics_by_default(study)

    @pytest.mark.parametrize("justification", ["", "because", "  too   short  now  "])
    def test_a_justification_of_twenty_characters_is_required(
        self, reflexive, lead, coder_a, coder_b, justification
    ):
        with pytest.raises(ValidationError) as caught:
            compute(reflexive, lead, [coder_a, coder_b], justification=justification)
        (message,) = caught.value.message_dict["justification"]
        assert "reflexive thematic analysis" in message and "at least 20 characters" in message
        assert not AgreementRun.objects.exists()

    def test_with_a_justification_the_run_keeps_it(self, reflexive, lead, coder_a, coder_b):
        run = compute(reflexive, lead, [coder_a, coder_b], justification=f"  {REASON}\n")
        assert run.justification == REASON
        assert run.result["mode"] == "reflexive"
        assert run_as_json(run)["justification"] == REASON

    def test_elsewhere_it_is_optional(self, codebook_study, coded, lead, coder_a, coder_b):
        assert compute(codebook_study, lead, [coder_a, coder_b]).justification == ""


class TestBlindRule:
    @pytest.fixture
    def blind(self, codebook_study, coded, lead, coder_a, coder_b):
        """An open round on P1 for coders A and B, after they coded it."""
        return round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[coded],
            coders=[coder_a, coder_b],
        )

    def test_a_coder_of_an_open_round_cannot_compute_over_the_other_coders_layer(
        self, codebook_study, blind, coder_a, coder_b
    ):
        with pytest.raises(ValidationError) as caught:
            compute(codebook_study, coder_a, [coder_a, coder_b])
        assert caught.value.messages == [
            "coder_b's codings are hidden from you by the open round “Round 1”: the round must "
            "be unblinded before agreement is computed on them."
        ]
        assert not AgreementRun.objects.exists()

    def test_nor_over_a_third_coders_work_on_the_rounds_transcripts(
        self, codebook_study, blind, trust, lead, coder_a
    ):
        apply(codebook_study, lead, blind.transcripts.get(), "we repair it together", trust)
        with pytest.raises(ValidationError, match="Some of these coders' codings are hidden"):
            compute(codebook_study, coder_a, [coder_a, lead])
        with pytest.raises(ValidationError, match="The codings of “Interview with P1” are"):
            compute(codebook_study, coder_a, [coder_a, lead], transcripts=[blind.transcripts.get()])

    def test_the_lead_outside_the_round_computes_and_coders_after_unblinding(
        self, codebook_study, blind, lead, coder_a, coder_b
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert Blind.of(member(codebook_study, coder_a)).hides_runs([run]) == {run.pk}
        assert Blind.of(member(codebook_study, lead)).hides_runs([run]) == set()
        round_unblind(member=member(codebook_study, lead), coding_round=blind)
        assert compute(codebook_study, coder_a, [coder_a, coder_b]).result["rows"]
        assert Blind.of(member(codebook_study, coder_a)).hides_runs([run]) == set()

    def test_a_run_with_a_code_hidden_now_is_hidden(
        self, codebook_study, coded, lead, coder_a, coder_b
    ):
        """A run of A and the lead used a code of B's; when B and A then code blind in a round
        on another transcript, B's code is hidden from A, and so is the run."""
        mine = code_create(member=member(codebook_study, coder_b), label="b's own code")
        apply(codebook_study, coder_a, coded, "café small talk", mine)
        apply(codebook_study, lead, coded, "café small talk", mine)
        run = compute(codebook_study, lead, [coder_a, lead])
        assert str(mine.uuid) in run.codebook
        other = make_locked_transcript(codebook_study, "P5")
        round_open(
            member=member(codebook_study, lead),
            title="Round 2",
            transcripts=[other],
            coders=[coder_a, coder_b],
        )
        blind = Blind.of(member(codebook_study, coder_a))
        assert blind.hides_runs(list(AgreementRun.objects.prefetch_related("coders"))) == {run.pk}

    def test_a_viewer_sees_no_run_over_an_open_rounds_transcripts(
        self, codebook_study, coded, lead, coder_a, coder_b, viewer
    ):
        run = compute(codebook_study, lead, [coder_a, coder_b])
        assert Blind.of(member(codebook_study, viewer)).hides_runs([run]) == set()
        round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[coded],
            coders=[lead, coder_a],
        )
        assert Blind.of(member(codebook_study, viewer)).hides_runs([run]) == {run.pk}


def test_the_json_shape(codebook_study, coded, lead, coder_a, coder_b):
    run = compute(codebook_study, lead, [coder_a, coder_b])
    data = run_as_json(run)
    assert data["unit"] == "turn" and data["coders"] == ["coder_a", "coder_b"]
    assert data["transcripts"] == 1
    (row,) = data["rows"]
    assert list(row) == [
        "code",
        "n_units",
        "prevalence_a",
        "prevalence_b",
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
    ]
    assert list(data["pooled"]) == [*list(row)[1:], "mean_kappa"]
    assert data["pooled"]["mean_kappa"] == pytest.approx(0.5)


def test_the_benchmark_workload_and_its_report():
    """The bench's spans are realistic (B copies most of A's passages), and its section renders."""
    from collections import Counter

    from coding import agreement
    from coding.bench_agreement import report_section, workload

    turns, spans = workload(1)
    assert len({turn.transcript for turn in turns}) == 14
    by_coder = Counter(span.coder for span in spans)
    assert by_coder["A"] == 2_000 and 1_900 < by_coder["B"] < 2_200
    assert len({span.code for span in spans}) == 300
    tables = agreement.unit_tables(turns, spans, coders=("A", "B"))
    assert 0.3 < agreement.report(tables, ("A", "B")).pooled.krippendorff_alpha < 0.8
    figures = {
        "codes": 300, "units_per_code": 3586, "ours_end_to_end_ms": 20.0,
        "ours_statistics_ms": 4.0, "krippendorff_ms": 160.0, "sklearn_ms": 350.0,
        "codes_timed": 300, "references_over_ours_end_to_end": 25.5,
        "references_over_ours_statistics": 127.5, "max_alpha_difference": 1e-16,
        "max_kappa_difference": 2e-16,
    }  # fmt: skip
    result = {
        "workload": "agreement", "scale": 1, "transcripts": 14, "turns": 3586,
        "characters": 686063, "codings": 3995, "codes": 300, "repeat": 3,
        "units": {"turn": figures},
        "service": {"backend": "sqlite", "units": {"turn": {"median_ms": 70.0, "queries": 18}}},
    }  # fmt: skip
    lines = report_section([result, {"workload": "coding"}])
    assert lines[1] == "## Agreement"
    assert lines[-1] == (
        "| turn | 3,586 | 20.0 ms | 4.0 ms | 160.0 ms | 350.0 ms | 300 of 300 | 25.5× | 127.5× "
        "| 1e-16 / 2e-16 | 70.0 ms (18) |"
    )
    assert report_section([{"workload": "coding"}]) == []
