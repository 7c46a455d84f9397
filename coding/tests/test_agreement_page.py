"""The agreement pages: every member reads the runs, coders compute them, the reflexive mode asks
why, a run shows its per-code table with the pooled figures apart, and the blind rule hides a run
while an open round keeps its coders' work blind to the reader."""

import json

import pytest
from django.urls import reverse

from coding.models import AgreementRun
from coding.rounds import round_open, round_unblind
from coding.services import code_create
from coding.stats import agreement_compute
from coding.tests.factories import make_locked_transcript
from coding.tests.test_stats import REASON, apply, member
from studies.models import AuditEvent, Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def codebook_study(study):
    study.analysis_mode = Study.AnalysisMode.CODEBOOK
    study.save()
    return study


@pytest.fixture
def coded(codebook_study, lead, coder_a, coder_b):
    p1 = make_locked_transcript(codebook_study, "P1")
    trust = code_create(member=member(codebook_study, lead), label="trust")
    apply(codebook_study, coder_a, p1, "I listen first", trust)
    apply(codebook_study, coder_b, p1, "café small talk", trust)
    apply(codebook_study, coder_b, p1, "I name it", trust)
    return p1


@pytest.fixture
def run(codebook_study, coded, lead, coder_a, coder_b):
    return agreement_compute(
        member=member(codebook_study, lead), coders=[coder_a, coder_b], justification=REASON
    )


def page_url(study):
    return reverse("coding-agreement", args=[study.slug])


def run_url(study, run):
    return reverse("coding-agreement-run", args=[study.slug, run.uuid])


def form_data(*coders, **fields):
    return {"coders": [c.username for c in coders], "unit": "turn", "threshold": "0.9"} | fields


class TestRoles:
    def test_an_outsider_gets_404_everywhere(self, client_for, codebook_study, run, outsider):
        client = client_for(outsider)
        assert client.get(page_url(codebook_study)).status_code == 404
        assert client.post(page_url(codebook_study), {}).status_code == 404
        assert client.get(run_url(codebook_study, run)).status_code == 404

    def test_a_viewer_reads_the_runs_but_does_not_compute(
        self, client_for, codebook_study, run, viewer, coder_a, coder_b
    ):
        client = client_for(viewer)
        page = client.get(page_url(codebook_study))
        assert page.status_code == 200
        assert f'id="agreement-run-{run.uuid}"' in page.text
        assert 'id="agreement-form"' not in page.text
        assert "as a viewer you read the runs" in page.text
        assert client.get(run_url(codebook_study, run)).status_code == 200
        response = client.post(page_url(codebook_study), form_data(coder_a, coder_b))
        assert response.status_code == 403
        assert AgreementRun.objects.count() == 1

    def test_a_coder_computes_and_is_shown_the_run(
        self, client_for, codebook_study, coded, coder_a, coder_b
    ):
        client = client_for(coder_a)
        response = client.post(
            page_url(codebook_study), form_data(coder_a, coder_b, exclude_interviewer="on")
        )
        run = AgreementRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == run_url(codebook_study, run)
        assert run.created_by == coder_a and run.exclude_interviewer
        event = AuditEvent.objects.get(action=AuditEvent.Action.AGREEMENT)
        assert event.actor == coder_a and event.address == "127.0.0.1"
        page = client.get(response["Location"])
        assert "trust" in page.text and "left out" in page.text

    def test_chosen_transcripts_and_the_segment_threshold_are_used(
        self, client_for, codebook_study, coded, coder_a, coder_b
    ):
        make_locked_transcript(codebook_study, "P2")
        response = client_for(coder_a).post(
            page_url(codebook_study),
            form_data(coder_a, coder_b, unit="segment", threshold="0.5")
            | {"transcripts": [str(coded.uuid)]},
        )
        assert response.status_code == 302
        run = AgreementRun.objects.get()
        assert run.unit == "segment" and run.threshold == 0.5
        assert list(run.transcripts.all()) == [coded]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"unit": "turn", "coders": ["coder_a"]}, "Choose at least two different coders"),
            ({"unit": "segment", "threshold": "2"}, "more than 0, at most 1"),
            ({"unit": "segment", "threshold": "x"}, "Enter a number."),
            ({"unit": "word"}, "Select a valid choice."),
            ({"coders": ["coder_a", "nobody"]}, "nobody is not a coder of this study."),
        ],
    )
    def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(
        self, client_for, codebook_study, coded, coder_a, coder_b, data, message
    ):
        response = client_for(coder_a).post(
            page_url(codebook_study), form_data(coder_a, coder_b) | data
        )
        assert response.status_code == 422
        assert message in response.text
        assert 'value="coder_a" checked' in response.text
        assert not AgreementRun.objects.exists()


class TestReflexiveMode:
    def test_the_form_says_why_statistics_are_off_and_asks_for_a_justification(
        self, client_for, study, coder_a, coder_b
    ):
        text = client_for(coder_a).get(page_url(study)).text
        assert "agreement statistics are off by default" in text
        assert "<details>" in text  # the form is there, folded
        assert "Compute agreement anyway, with a justification" in text
        assert "Justification</label>" in text  # not marked optional

    def test_without_a_justification_nothing_is_computed(
        self, client_for, study, coded, coder_a, coder_b
    ):
        study.analysis_mode = Study.AnalysisMode.REFLEXIVE
        study.save()
        client = client_for(coder_a)
        response = client.post(page_url(study), form_data(coder_a, coder_b))
        assert response.status_code == 422
        assert "at least 20 characters" in response.text and "<details open>" in response.text
        assert not AgreementRun.objects.exists()
        response = client.post(page_url(study), form_data(coder_a, coder_b, justification=REASON))
        assert response.status_code == 302
        assert AgreementRun.objects.get().justification == REASON

    def test_in_codebook_mode_the_form_is_open_and_the_justification_optional(
        self, client_for, codebook_study, coder_a
    ):
        text = client_for(coder_a).get(page_url(codebook_study)).text
        assert "<details open>" in text
        assert 'Justification <span class="optional">(optional)</span>' in text


class TestRunPage:
    def test_the_table_the_pooled_figures_apart_and_how_it_was_computed(
        self, client_for, codebook_study, run, coded, viewer
    ):
        text = client_for(viewer).get(run_url(codebook_study, run)).text
        table = text.split('id="agreement-codes"')[1].split("</table>")[0]
        row = table.split("<tbody>")[1]
        assert "trust" in row and "lead" in row
        for figure in ("4", "25.0 % / 50.0 %", "75.0 %", "0.50"):
            assert f"<td>{figure}</td>" in row
        assert "Pooled" not in table
        pooled = text.split('id="agreement-pooled"')[1].split("</aside>")[0]
        assert text.index('id="agreement-pooled"') > text.index("</table>")
        assert "Mean κ of the codes</dt><dd>0.50</dd>" in pooled
        assert "not a measure of the quality of the analysis" in text
        assert REASON in text
        assert "Interview with P1" in text and "coded by coder_a, coder_b" in text
        assert "Codebook as it was" in text and "<td>trust</td><td>1</td>" in text
        assert "A: coder_a, B: coder_b" in text

    def test_the_json_download(self, client_for, codebook_study, run, coder_b):
        response = client_for(coder_b).get(run_url(codebook_study, run), {"format": "json"})
        assert response.status_code == 200
        assert (
            response["Content-Disposition"] == f'attachment; filename="agreement-{run.uuid}.json"'
        )
        data = json.loads(response.content)
        assert data["run"] == str(run.uuid) and data["rows"][0]["code"] == "trust"
        assert data["pooled"]["mean_kappa"] == pytest.approx(0.5)

    def test_a_run_of_another_study_is_not_found(
        self, client_for, codebook_study, run, custodian, lead
    ):
        from studies.tests.factories import MembershipFactory, make_study

        other = make_study(creator=custodian, title="Another study")
        MembershipFactory(study=other, user=lead)
        response = client_for(lead).get(
            reverse("coding-agreement-run", args=[other.slug, run.uuid])
        )
        assert response.status_code == 404


class TestBlindRule:
    @pytest.fixture
    def blind(self, codebook_study, run, coded, lead, coder_a, coder_b):
        return round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[coded],
            coders=[coder_a, coder_b],
        )

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_a_run_over_work_hidden_now_is_hidden(
        self, client_for, codebook_study, run, blind, personas, persona, lead
    ):
        client = client_for(personas[persona])
        page = client.get(page_url(codebook_study)).text
        assert f"agreement-run-{run.uuid}" not in page and "trust" not in page
        assert "1 run is hidden from you while an open coding round" in page
        assert client.get(run_url(codebook_study, run)).status_code == 404
        assert client.get(run_url(codebook_study, run), {"format": "json"}).status_code == 404

        assert f"agreement-run-{run.uuid}" in client_for(lead).get(page_url(codebook_study)).text
        round_unblind(member=member(codebook_study, lead), coding_round=blind)
        client = client_for(personas[persona])
        assert client.get(run_url(codebook_study, run)).status_code == 200

    def test_a_blinded_coder_is_told_why_computing_is_refused(
        self, client_for, codebook_study, blind, coder_a, coder_b
    ):
        response = client_for(coder_a).post(page_url(codebook_study), form_data(coder_a, coder_b))
        assert response.status_code == 422
        assert "coder_b&#x27;s codings are hidden from you by the open round “Round 1”" in (
            response.text
        )
        assert AgreementRun.objects.count() == 1


class TestQueries:
    @pytest.fixture
    def runs(self, codebook_study, lead, coder_a, coder_b, request):
        size = request.param
        p1 = make_locked_transcript(codebook_study, "P1")
        for n in range(size * 3):
            code = code_create(member=member(codebook_study, lead), label=f"code {n}")
            apply(codebook_study, coder_a, p1, "I listen first", code)
            apply(codebook_study, coder_b, p1, "I name it" if n % 2 else "I listen", code)
        return [
            agreement_compute(member=member(codebook_study, lead), coders=[coder_a, coder_b])
            for _ in range(size)
        ]

    @pytest.mark.parametrize("runs", [1, 4], indirect=True)
    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_the_list_does_not_grow_with_runs_or_codes(
        self, client_for, codebook_study, runs, personas, persona, django_assert_num_queries
    ):
        client = client_for(personas[persona])
        client.get(page_url(codebook_study))
        # session, user, membership; the blind rule (2); runs, their coders and transcripts;
        # for a coder, the form's coders and transcripts; the studies menu.
        with django_assert_num_queries(11 if persona == "coder_a" else 9):
            response = client.get(page_url(codebook_study))
        assert response.text.count('id="agreement-run-') == len(runs)

    @pytest.mark.parametrize("runs", [1, 4], indirect=True)
    def test_a_run_page_does_not_grow_with_codes(
        self, client_for, codebook_study, runs, viewer, django_assert_num_queries
    ):
        client = client_for(viewer)
        url = run_url(codebook_study, runs[-1])
        client.get(url)
        # session, user, membership; the run, its coders and transcripts; the blind rule (2);
        # the studies menu.
        with django_assert_num_queries(9):
            response = client.get(url)
        assert response.text.count("<tr>") == 1 + len(runs) * 3 + 1 + len(runs) * 3

    def test_blind_adds_one_query_for_the_codes(
        self, client_for, codebook_study, lead, coder_a, coder_b, django_assert_num_queries
    ):
        p1 = make_locked_transcript(codebook_study, "P1")
        code = code_create(member=member(codebook_study, lead), label="code")
        apply(codebook_study, coder_a, p1, "I listen first", code)
        apply(codebook_study, lead, p1, "I name it", code)
        agreement_compute(member=member(codebook_study, lead), coders=[coder_a, lead])
        round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[make_locked_transcript(codebook_study, "P2")],
            coders=[coder_a, coder_b],
        )
        client = client_for(coder_a)
        client.get(page_url(codebook_study))
        with django_assert_num_queries(12):
            client.get(page_url(codebook_study))


def test_the_study_nav_links_to_the_page(client_for, study, viewer):
    text = client_for(viewer).get(reverse("coding-rounds", args=[study.slug])).text
    assert f'href="{page_url(study)}"' in text
