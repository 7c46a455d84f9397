"""Reconciling two coders' layers: starting a reconciliation (never on blind layers), the
difference list of a transcript with aligned codes, decisions on its items, code refinements
linked to the decision that prompted them, and the consensus layer — each coder's layer intact."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coding.models import (
    Code,
    CodeAlignment,
    CodeEvent,
    Coding,
    CodingRound,
    ConsensusCoding,
    Decision,
    Reconciliation,
    RoundCoder,
)
from coding.reconcile import services
from coding.reconcile.differences import Kind
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from transcripts.models import TranscriptState

pytestmark = pytest.mark.django_db


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def code(study, transcript, user, words: str, label_or_code) -> Coding:
    text = transcript.versions.order_by("-number").first().text
    start = text.index(words)
    existing = isinstance(label_or_code, Code)
    (coding,) = coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[label_or_code] if existing else [],
        new_label="" if existing else label_or_code,
    )
    return coding


def align(study, lead, a: Code, b: Code) -> None:
    low, high = sorted((a, b), key=lambda c: c.pk)
    CodeAlignment.objects.create(study=study, code_a=low, code_b=high, confirmed_by=lead)


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


@pytest.fixture
def layers(study, transcript, lead, coder_a, coder_b):
    """Coder A's and coder B's layers of one transcript: one agreement through aligned codes,
    one boundary mismatch on a shared code, one passage under different codes, one B-only."""
    listening = code(study, transcript, coder_a, "I listen first", "listening")
    attending = code(study, transcript, coder_b, "I listen first", "attending")
    align(study, lead, listening.code, attending.code)
    shared = code_create(member=member(study, lead), label="small talk")
    code(study, transcript, coder_a, "the café small talk", shared)
    code(study, transcript, coder_b, "café small talk matters", shared)
    naming = code(study, transcript, coder_a, "Then I name it", "naming the rupture")
    owning = code(study, transcript, coder_b, "Then I name it", "owning the rupture")
    code(study, transcript, coder_b, "we repair it together", "repair")
    return {"naming": naming.code, "owning": owning.code}


@pytest.fixture
def reconciliation(study, transcript, lead, coder_a, coder_b, layers):
    return services.reconciliation_start(
        member=member(study, lead),
        title="Round 1 reconciliation",
        coder_a=coder_a,
        coder_b=coder_b,
        transcripts=[transcript],
    )


def page_url(study, reconciliation, transcript, action=""):
    name = f"coding-reconcile-{action}" if action else "coding-reconcile-transcript"
    return reverse(name, args=[study.slug, reconciliation.uuid, transcript.uuid])


class TestStart:
    def test_a_lead_starts_one_and_it_is_audited(self, reconciliation, coder_a, coder_b):
        assert (reconciliation.coder_a, reconciliation.coder_b) == (coder_a, coder_b)
        event = AuditEvent.objects.get(action=AuditEvent.Action.RECONCILIATION)
        assert event.details == {
            "started": True,
            "coders": ["coder_a", "coder_b"],
            "transcripts": 1,
        }

    def test_layers_blind_in_an_open_round_cannot_be_reconciled(
        self, study, transcript, lead, coder_a, coder_b
    ):
        round_ = CodingRound.objects.create(study=study, title="Round 2", opened_by=lead)
        round_.transcripts.add(transcript)
        RoundCoder.objects.create(round=round_, coder=coder_a)
        with pytest.raises(ValidationError, match="open round “Round 2”"):
            services.reconciliation_start(
                member=member(study, lead), title="Too early", coder_a=coder_a, coder_b=coder_b,
                transcripts=[transcript],
            )  # fmt: skip
        assert not Reconciliation.objects.exists()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"title": " "}, "needs a title"),
            ({"coder_b": "coder_a"}, "two different coders"),
            ({"coder_b": "outsider"}, "outsider is not a member"),
            ({"transcripts": []}, "at least one transcript"),
            ({"state": TranscriptState.REVIEW}, "is not locked"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_stored(
        self, study, transcript, personas, lead, change, message
    ):
        if "state" in change:
            transcript.state = change["state"]
            transcript.save()
        with pytest.raises(ValidationError, match=message):
            services.reconciliation_start(
                member=member(study, lead),
                title=change.get("title", "A title"),
                coder_a=personas["coder_a"],
                coder_b=personas[change.get("coder_b", "coder_b")],
                transcripts=change.get("transcripts", [transcript]),
            )
        assert not Reconciliation.objects.exists()

    def test_the_page_starts_one_and_a_viewer_may_not(
        self, client_for, study, transcript, coder_a, viewer, layers
    ):
        url = reverse("coding-reconciliations", args=[study.slug])
        data = {
            "title": "By the page",
            "coder_a": "coder_a",
            "coder_b": "coder_b",
            "transcripts": [str(transcript.uuid)],
        }
        assert client_for(viewer).post(url, data).status_code == 403
        response = client_for(coder_a).post(url, data)
        assert response.status_code == 302
        started = Reconciliation.objects.get()
        assert response["Location"] == reverse(
            "coding-reconciliation", args=[study.slug, started.uuid]
        )
        refused = client_for(coder_a).post(url, {**data, "coder_b": "coder_a"})
        assert refused.status_code == 422 and "two different coders" in refused.text
        assert Reconciliation.objects.count() == 1


class TestDifferenceList:
    def test_each_kind_with_aligned_and_shared_codes(self, study, lead, reconciliation, transcript):
        version, listed = services.difference_list(member(study, lead), reconciliation, transcript)
        kinds = {
            version.text[entry.item.start : entry.item.end]: entry.item.kind for entry in listed
        }
        assert kinds == {
            "I listen first": Kind.AGREEMENT,  # listening ≈ attending, aligned
            "the café small talk matters": Kind.BOUNDARY,
            "Then I name it": Kind.DIFFERENT_CODES,
            "we repair it together": Kind.ONLY_B,
        }
        boundary = next(entry for entry in listed if entry.item.kind == Kind.BOUNDARY)
        assert boundary.item.overlap == pytest.approx(
            len("café small talk") / len("the café small talk matters")
        )

    def test_without_the_alignment_the_agreement_is_a_difference(
        self, study, lead, reconciliation, transcript
    ):
        CodeAlignment.objects.all().delete()
        _version, listed = services.difference_list(member(study, lead), reconciliation, transcript)
        assert Kind.AGREEMENT not in {entry.item.kind for entry in listed}


class TestDecisions:
    def entry(self, study, lead, reconciliation, transcript, kind):
        _version, listed = services.difference_list(member(study, lead), reconciliation, transcript)
        return next(entry for entry in listed if entry.item.kind == kind)

    def test_a_coder_records_and_revises_a_decision(
        self, client_for, study, lead, coder_a, reconciliation, transcript
    ):
        entry = self.entry(study, lead, reconciliation, transcript, Kind.ONLY_B)
        client = client_for(coder_a)
        data = {"item": entry.key, "outcome": "kept_both", "rationale": "Both readings hold."}
        response = client.post(page_url(study, reconciliation, transcript, "decide"), data)
        assert response.status_code == 302 and response["Location"].endswith(f"#item-{entry.key}")
        decision = Decision.objects.get()
        assert (decision.outcome, decision.kind, decision.decided_by) == (
            "kept_both", "only B", coder_a,
        )  # fmt: skip
        assert decision.codings_b == [str(entry.codings_b[0].uuid)]
        client.post(
            page_url(study, reconciliation, transcript, "decide"),
            {**data, "outcome": "deferred", "rationale": "Ask the team."},
        )
        decision.refresh_from_db()
        assert (Decision.objects.count(), decision.outcome) == (1, "deferred")
        revisions = AuditEvent.objects.filter(action=AuditEvent.Action.DECISION)
        assert [event.details["revised"] for event in revisions.order_by("pk")] == [False, True]
        page = client.get(page_url(study, reconciliation, transcript)).text
        assert "Deferred" in page and "Ask the team." in page and "1 of 4 decided" in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"outcome": "maybe"}, "Choose an outcome"),
            ({"rationale": " "}, "Give the rationale"),
            ({"item": "0" * 32}, "no longer in the list"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_stored(
        self, client_for, study, lead, coder_a, reconciliation, transcript, data, message
    ):
        entry = self.entry(study, lead, reconciliation, transcript, Kind.ONLY_B)
        sent = {"item": entry.key, "outcome": "agreed", "rationale": "Because.", **data}
        response = client_for(coder_a).post(
            page_url(study, reconciliation, transcript, "decide"), sent
        )
        assert response.status_code == 422 and message in response.text
        assert not Decision.objects.exists()

    def test_a_viewer_reads_but_may_not_decide(
        self, client_for, study, lead, viewer, reconciliation, transcript
    ):
        client = client_for(viewer)
        page = client.get(page_url(study, reconciliation, transcript))
        assert page.status_code == 200 and "Record the decision" not in page.text
        entry = self.entry(study, lead, reconciliation, transcript, Kind.ONLY_B)
        response = client.post(
            page_url(study, reconciliation, transcript, "decide"),
            {"item": entry.key, "outcome": "agreed", "rationale": "Because."},
        )
        assert response.status_code == 403 and not Decision.objects.exists()

    def test_an_outsider_gets_404(self, client_for, study, outsider, reconciliation, transcript):
        assert (
            client_for(outsider).get(page_url(study, reconciliation, transcript)).status_code == 404
        )

    def test_a_merge_from_the_view_is_linked_to_its_decision_and_keeps_both_layers(
        self, client_for, study, lead, reconciliation, transcript, layers, coder_b
    ):
        entry = self.entry(study, lead, reconciliation, transcript, Kind.DIFFERENT_CODES)
        client = client_for(lead)
        merge = {"item": entry.key, "code": layers["owning"].uuid, "into": layers["naming"].uuid}
        early = client.post(page_url(study, reconciliation, transcript, "merge"), merge)
        assert early.status_code == 422 and "Record the decision" in early.text
        client.post(
            page_url(study, reconciliation, transcript, "decide"),
            {"item": entry.key, "outcome": "agreed", "rationale": "One idea, two names."},
        )
        response = client.post(page_url(study, reconciliation, transcript, "merge"), merge)
        assert response.status_code == 302
        decision = Decision.objects.get()
        event = CodeEvent.objects.get(code=layers["owning"], kind=CodeEvent.Kind.MERGED)
        assert event.decision == decision and event.reason == "One idea, two names."
        b_coding = Coding.objects.get(coder=coder_b, start=entry.item.start, end=entry.item.end)
        assert b_coding.code == layers["naming"]  # still coder B's coding, now of the merged code

    def test_the_consensus_layer_is_separate_and_attributed(
        self, client_for, study, lead, coder_a, reconciliation, transcript, layers
    ):
        entry = self.entry(study, lead, reconciliation, transcript, Kind.DIFFERENT_CODES)
        before = sorted(Coding.objects.values_list("pk", "code", "start", "end"))
        client = client_for(coder_a)
        response = client.post(
            page_url(study, reconciliation, transcript, "consensus"),
            {
                "item": entry.key,
                "code": layers["naming"].uuid,
                "start": entry.item.start,
                "end": entry.item.end,
            },
        )
        assert response.status_code == 302
        added = ConsensusCoding.objects.get()
        assert (added.added_by, added.code, added.start) == (
            coder_a, layers["naming"], entry.item.start,
        )  # fmt: skip
        assert sorted(Coding.objects.values_list("pk", "code", "start", "end")) == before
        page = client.get(page_url(study, reconciliation, transcript)).text
        assert "added by coder_a" in page
        remove = reverse(
            "coding-reconcile-consensus-remove",
            args=[study.slug, reconciliation.uuid, transcript.uuid, added.uuid],
        )
        assert client.post(remove).status_code == 302 and not ConsensusCoding.objects.exists()


@pytest.mark.parametrize("extra", [0, 20])
def test_the_transcript_pages_query_count_is_constant(
    client_for, study, lead, coder_a, coder_b, reconciliation, transcript, extra,
    django_assert_num_queries,
):  # fmt: skip
    text = transcript.versions.get().text
    for n in range(extra):
        for coder in (coder_a, coder_b):
            coding_apply(
                member=member(study, coder), transcript=transcript, start=n, end=n + 3 + (coder == coder_b),
                new_label=f"code {n}",
            )  # fmt: skip
    assert len(text) > extra
    me = member(study, lead)
    _version, listed = services.difference_list(me, reconciliation, transcript)
    for n, entry in enumerate(listed[: extra * 2]):  # decisions on some items, by both coders
        services.decision_record(
            member=member(study, coder_a if n % 2 else coder_b),
            reconciliation=reconciliation, transcript=transcript, item=entry.key,
            outcome="kept_both", rationale="Both hold.",
        )  # fmt: skip
    client = client_for(lead)
    client.get(reverse("study-list"))
    with django_assert_num_queries(15):
        response = client.get(page_url(study, reconciliation, transcript))
    assert response.status_code == 200


def test_a_coder_blind_with_the_other_in_an_open_round_sees_no_layer_and_cannot_decide(
    client_for, study, lead, coder_a, coder_b, reconciliation, transcript
):
    elsewhere = make_locked_transcript(study, "P2")
    round_ = CodingRound.objects.create(study=study, title="Round 2", opened_by=lead)
    round_.transcripts.add(elsewhere)
    for coder in (coder_a, coder_b):
        RoundCoder.objects.create(round=round_, coder=coder)
    client = client_for(coder_a)
    page = client.get(page_url(study, reconciliation, transcript)).text
    assert "hidden from you while you code blind" in page
    assert "owning the rupture" not in page and "repair" not in page
    _version, listed = services.difference_list(member(study, lead), reconciliation, transcript)
    response = client.post(
        page_url(study, reconciliation, transcript, "decide"),
        {"item": listed[0].key, "outcome": "agreed", "rationale": "Peeking."},
    )
    assert response.status_code == 403 and not Decision.objects.exists()


def test_a_page_with_items_of_one_coder_only_renders(
    client_for, study, lead, coder_a, coder_b, transcript
):
    code(study, transcript, coder_a, "I listen first", "attending")
    code(study, transcript, coder_b, "café small talk matters", "small talk")
    reconciliation = services.reconciliation_start(
        member=member(study, lead), title="Round 1", coder_a=coder_a, coder_b=coder_b,
        transcripts=[transcript],
    )  # fmt: skip
    page = client_for(coder_a).get(page_url(study, reconciliation, transcript))
    assert page.status_code == 200
    assert "1. Only A" in page.text and "2. Only B" in page.text
