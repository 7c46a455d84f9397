"""The report builder: choosing extracts (roles, the blind rule, reaching the theme), the consent
guard, the verbatim check, ordering, Table 4, the methods scaffold, and the builder's page."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from coding.models import AgreementRun, Decision, Meeting, Reconciliation
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply, coding_confirm
from coding.stats import agreement_compute
from coding.tests.factories import make_locked_transcript
from exchange import report
from exchange.consent import Quotation, quotation_consent
from exchange.models import ReportExtract
from studies.models import AnalysisMode, AuditEvent, ConsentRecord, Membership
from themes.models import Status, Theme, ThemeCode
from transcripts.versions import transcript_correct

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CANDIDATE = re.compile(r'class="report-candidate(?: blocked)?"')
TURNS = [
    ("I", "How did you begin with a new client?"),
    ("P", "Slowly, I listen first, and the small talk matters more than people think."),
    ("I", "And when it goes wrong?"),
    ("P", "Then I name it, carefully, and we repair it together."),
]


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, code):
    text = transcript.versions.order_by("-number").first().text
    start = text.index(words)
    return coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[code],
    )[0]


def make_theme(study, name, codes=(), *, by, **fields) -> Theme:
    theme = Theme.objects.create(study=study, name=name, created_by=by, **fields)
    for position, code in enumerate(codes):
        ThemeCode.objects.create(theme=theme, code=code, position=position, added_by=by)
    return theme


def consent(participant, quotation: bool, *, by, days_ago: int = 0) -> ConsentRecord:
    return ConsentRecord.objects.create(
        participant=participant,
        method="written",
        consented_on=date(2025, 1, 2),
        recording=True,
        verbatim_quotation=quotation,
        archiving=True,
        secondary_use=True,
        future_contact=False,
        recorded_by=by,
        recorded_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def world(study, lead, custodian):
    """Three transcripts (P1 and P2 may be quoted, P3 declined), two codes by the lead, a theme
    ("Craft", with "listening") and its subtheme ("Repair", with "repair")."""
    t1, t2, t3 = (make_locked_transcript(study, f"P{n}", TURNS) for n in (1, 2, 3))
    consent(t1.participant, True, by=custodian)
    consent(t2.participant, False, by=custodian, days_ago=30)  # said no, then yes
    consent(t2.participant, True, by=custodian)
    consent(t3.participant, True, by=custodian, days_ago=30)  # said yes, then no
    consent(t3.participant, False, by=custodian)
    lead_member = member(study, lead)
    listening = code_create(member=lead_member, label="listening first")
    repair = code_create(member=lead_member, label="repairing ruptures")
    craft = make_theme(
        study, "Craft", [listening], by=lead, definition="How the alliance is made.",
        central_concept="The alliance as a craft.",
    )  # fmt: skip
    sub = make_theme(study, "Repair", [repair], by=lead, parent=craft, definition="Mending.")
    return {
        "t": (t1, t2, t3),
        "listening": listening,
        "repair": repair,
        "craft": craft,
        "sub": sub,
        "c1": apply(study, lead, t1, "I listen first", listening),
        "c2": apply(study, lead, t2, "we repair it together", repair),
        "c3": apply(study, lead, t3, "I name it", repair),
    }


def section(text: str, theme) -> str:
    """One theme's section of the builder page."""
    start = text.index(f'id="report-theme-{theme.uuid}"')
    ends = [text.find(mark, start) for mark in ('class="card report-theme', 'id="report-table4"')]
    return text[start : min(end for end in ends if end >= 0)]


def page_url(study, **params):
    url = reverse("exchange-report", args=[study.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def choose_url(study, theme):
    return reverse("exchange-report-choose", args=[study.slug, theme.uuid])


# Choosing -----------------------------------------------------------------------------------


def test_a_coder_chooses_an_extract_with_its_words(study, coder_a, world):
    extract = report.extract_choose(
        member=member(study, coder_a), theme=world["craft"], coding=world["c1"]
    )
    assert extract.words == "I listen first"
    assert (extract.position, extract.chosen_by) == (0, coder_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPORT)
    assert event.details["extract"] == "chosen" and event.details["participant"] == "P1"
    assert "I listen first" not in str(event.details)
    read = AuditEvent.objects.get(action=AuditEvent.Action.VAULT_READ)
    assert read.details == {"purpose": "quotation consent", "participants": 1}
    assert read.actor == coder_a


def test_an_extract_reaches_a_theme_through_a_subthemes_code(study, coder_a, world):
    a = member(study, coder_a)
    report.extract_choose(member=a, theme=world["craft"], coding=world["c2"])
    second = report.extract_choose(member=a, theme=world["sub"], coding=world["c2"])
    assert second.position == 0  # each theme has its own order
    assert ReportExtract.objects.count() == 2


def test_an_extract_that_does_not_reach_the_theme_is_refused(study, coder_a, world):
    with pytest.raises(ValidationError, match="is not in “Repair” or its subthemes"):
        report.extract_choose(member=member(study, coder_a), theme=world["sub"], coding=world["c1"])
    assert not ReportExtract.objects.exists()


def test_choosing_twice_is_refused(study, coder_a, world):
    a = member(study, coder_a)
    report.extract_choose(member=a, theme=world["craft"], coding=world["c1"])
    with pytest.raises(ValidationError, match="already among the quotes of “Craft”"):
        report.extract_choose(member=a, theme=world["craft"], coding=world["c1"])


def test_an_extract_of_a_transcript_in_review_is_not_quoted(client_for, study, coder_a, world):
    """A transcript not locked (an imported project can bring codings on text still in review)
    is not quoted: not a candidate, not chosen."""
    t1 = world["t"][0]
    type(t1).objects.filter(pk=t1.pk).update(state="review")
    with pytest.raises(ValidationError, match="not one you can see"):
        report.extract_choose(
            member=member(study, coder_a), theme=world["craft"], coding=world["c1"]
        )
    page = client_for(coder_a).get(page_url(study)).text
    assert f'id="candidate-{world["craft"].uuid}-{world["c1"].uuid}"' not in page
    assert not ReportExtract.objects.exists()


def test_a_viewer_does_not_choose(study, viewer, world):
    with pytest.raises(ValidationError, match="a viewer reads"):
        report.extract_choose(
            member=member(study, viewer), theme=world["craft"], coding=world["c1"]
        )


@pytest.mark.parametrize("status", ["discarded", "holding"])
def test_no_extracts_for_a_discarded_theme_or_the_holding_area(study, coder_a, lead, world, status):
    theme = world["craft"]
    if status == "discarded":
        Theme.objects.filter(pk=theme.pk).update(status=Status.DISCARDED, discard_reason="gone")
    else:
        theme = make_theme(study, "Miscellaneous", [world["listening"]], by=lead, holding=True)
    theme.refresh_from_db()
    with pytest.raises(ValidationError, match=r"discarded|holding area"):
        report.extract_choose(member=member(study, coder_a), theme=theme, coding=world["c1"])


@pytest.fixture
def blind(study, lead, coder_a, coder_b, world):
    """An open round on P1 and P2 for coders A and B; B's coding of a passage under a code of
    B's own that the lead put in "Craft"."""
    t1, t2, _t3 = world["t"]
    round_open(
        member=member(study, lead), title="Round 1", transcripts=[t1, t2], coders=[coder_a, coder_b]
    )
    b_code = code_create(member=member(study, coder_b), label="zq-canary-b-code")
    ThemeCode.objects.create(theme=world["craft"], code=b_code, position=5, added_by=lead)
    b_coding = apply(study, coder_b, t1, "the small talk matters", b_code)
    return b_coding


def test_a_blind_coder_cannot_choose_a_co_coders_coding(client_for, study, coder_a, world, blind):
    with pytest.raises(ValidationError, match="not one you can see"):
        report.extract_choose(member=member(study, coder_a), theme=world["craft"], coding=blind)
    client = client_for(coder_a)
    response = client.post(choose_url(study, world["craft"]), {"coding": blind.uuid}, headers=HTMX)
    assert response.status_code == 422
    assert "not one you can see" in response.text
    assert "the small talk matters" not in response.text and "zq-canary" not in response.text
    assert not ReportExtract.objects.exists()


def test_a_blind_coder_sees_neither_a_co_coders_candidates_nor_quotes(
    client_for, study, lead, coder_a, world, blind
):
    # The lead (who codes in no round) chooses coder B's coding: coder A must not see it.
    report.extract_choose(member=member(study, lead), theme=world["craft"], coding=blind)
    page = client_for(coder_a).get(page_url(study))
    assert page.status_code == 200
    assert "the small talk matters" not in page.text and "zq-canary" not in page.text
    docx = client_for(coder_a).get(reverse("exchange-report-docx", args=[study.slug]))
    assert b"small talk matters" not in docx.content
    lead_page = client_for(lead).get(page_url(study))
    assert "the small talk matters" in lead_page.text


# The consent guard --------------------------------------------------------------------------


def test_the_guard_answers_from_the_latest_record(study, custodian, world):
    t1, t2, t3 = world["t"]
    answer = quotation_consent(study=study)
    assert answer == {
        t1.participant.pk: Quotation.ALLOWED,
        t2.participant.pk: Quotation.ALLOWED,
        t3.participant.pk: Quotation.NOT_CONSENTED,
    }
    assert AuditEvent.objects.get(action=AuditEvent.Action.VAULT_READ).details == {
        "purpose": "quotation consent",
        "participants": 3,
    }


def test_no_record_and_withdrawal_block(study, custodian, world):
    t1, t2, _t3 = world["t"]
    ConsentRecord.objects.filter(participant=t1.participant).delete()
    type(t2.participant).objects.filter(pk=t2.participant.pk).update(withdrawn_at=timezone.now())
    answer = quotation_consent(study=study, participants=[t1.participant.pk, t2.participant.pk])
    assert answer == {
        t1.participant.pk: Quotation.NOT_CONSENTED,
        t2.participant.pk: Quotation.WITHDRAWN,
    }


def test_a_participant_who_declined_cannot_be_quoted(study, coder_a, world):
    with pytest.raises(ValidationError) as refused:
        report.extract_choose(member=member(study, coder_a), theme=world["sub"], coding=world["c3"])
    assert refused.value.messages == [
        "P3 has not consented to verbatim quotation: their words cannot be quoted in the report."
    ]
    assert not ReportExtract.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REPORT).exists()
    # The vault was read to say no, and that read is on record.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).count() == 1


def test_the_page_refuses_a_quote_without_consent_and_shows_it_blocked(
    client_for, study, coder_a, world
):
    client = client_for(coder_a)
    response = client.post(choose_url(study, world["sub"]), {"coding": world["c3"].uuid})
    assert response.status_code == 422
    assert "P3 has not consented to verbatim quotation" in response.text
    assert not ReportExtract.objects.exists()

    page = client.get(page_url(study)).text
    blocked = page.split(f'id="candidate-{world["sub"].uuid}-{world["c3"].uuid}"')[1].split(
        "</li>"
    )[0]
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Choose</button>", blocked)
    assert "P3 has not consented to verbatim quotation" in blocked
    allowed = page.split(f'id="candidate-{world["sub"].uuid}-{world["c2"].uuid}"')[1].split(
        "</li>"
    )[0]
    assert '<button type="submit" class="primary">Choose</button>' in allowed


def test_a_quote_whose_consent_was_withdrawn_is_shown_blocked(
    client_for, study, coder_a, custodian, world
):
    report.extract_choose(member=member(study, coder_a), theme=world["craft"], coding=world["c1"])
    consent(world["t"][0].participant, False, by=custodian)
    page = client_for(coder_a).get(page_url(study)).text
    assert "Left out of the .docx: P1 has not consented to verbatim quotation" in page


# The verbatim check -------------------------------------------------------------------------


def test_a_correction_of_the_words_flags_the_extract(study, lead, coder_a, world):
    a = member(study, coder_a)
    chosen = report.extract_choose(member=a, theme=world["craft"], coding=world["c1"])
    assert report.verbatim_check(member=a) == []
    t1 = world["t"][0]
    transcript_correct(
        member=member(study, lead), transcript=t1, turn_position=2,
        text="Slowly, I listened first, and the small talk matters more than people think.",
        reason="a typing error",
    )  # fmt: skip
    (flagged,) = report.verbatim_check(member=a)
    assert flagged.pk == chosen.pk
    assert flagged.problem == "The transcript now reads differently here."
    assert flagged.current == "I listened first" and flagged.words == "I listen first"

    # Taking the corrected words leaves the coder's own check of the coding to do.
    report.extract_refresh(member=a, extract=chosen)
    (flagged,) = report.verbatim_check(member=a)
    assert flagged.words == "I listened first"
    assert "its coder has not checked it" in flagged.problem
    coding = world["c1"]
    coding.refresh_from_db()
    coding_confirm(member=member(study, lead), coding=coding)
    assert report.verbatim_check(member=a) == []


def test_a_correction_elsewhere_flags_nothing(study, lead, coder_a, world):
    a = member(study, coder_a)
    report.extract_choose(member=a, theme=world["craft"], coding=world["c1"])
    transcript_correct(
        member=member(study, lead), transcript=world["t"][0], turn_position=4,
        text="Then I name it, gently, and we repair it together.", reason="misheard",
    )  # fmt: skip
    assert report.verbatim_check(member=a) == []


def test_words_removed_by_a_correction_are_flagged(client_for, study, lead, coder_a, world):
    a = member(study, coder_a)
    report.extract_choose(member=a, theme=world["craft"], coding=world["c1"])
    transcript_correct(
        member=member(study, lead), transcript=world["t"][0], turn_position=2,
        text="Slowly, and the small talk matters more than people think.", reason="misheard",
    )  # fmt: skip
    (flagged,) = report.verbatim_check(member=a)
    assert flagged.problem == "A correction of the transcript removed these words."
    page = client_for(coder_a).get(page_url(study)).text
    assert "Verbatim check: A correction of the transcript removed these words." in page


# Order and removal --------------------------------------------------------------------------


@pytest.fixture
def three(study, lead, coder_a, world):
    a = member(study, coder_a)
    t1 = world["t"][0]
    extra = apply(study, lead, t1, "people think", world["listening"])
    return [
        report.extract_choose(member=a, theme=world["craft"], coding=coding)
        for coding in (world["c1"], world["c2"], extra)
    ]


def visible_order(study, user, theme) -> list[str]:
    return [str(e.uuid) for e in report.chosen_extracts(member(study, user), [theme])[theme.pk]]


def test_reorder(study, coder_a, world, three):
    a = member(study, coder_a)
    order = [str(three[2].uuid), str(three[0].uuid), str(three[1].uuid)]
    seen = report.order_stamp(e.uuid for e in three)
    report.extracts_reorder(member=a, theme=world["craft"], order=order, seen=seen)
    assert visible_order(study, coder_a, world["craft"]) == order
    event = AuditEvent.objects.filter(action=AuditEvent.Action.REPORT).first()
    assert event.details == {"extracts": "reordered", "theme": str(world["craft"].uuid), "count": 3}


def test_a_reorder_from_an_old_page_is_refused(study, coder_a, world, three):
    a = member(study, coder_a)
    old = report.order_stamp(e.uuid for e in three)
    report.extract_remove(member=a, extract=three[1])
    order = [str(three[2].uuid), str(three[0].uuid)]
    with pytest.raises(report.Stale):
        report.extracts_reorder(member=a, theme=world["craft"], order=order, seen=old)
    with pytest.raises(report.Stale):  # an order that is not of the quotes there are
        report.extracts_reorder(member=a, theme=world["craft"], order=[str(three[0].uuid)])
    assert visible_order(study, coder_a, world["craft"]) == [str(three[0].uuid), str(three[2].uuid)]


def test_move_up_and_down_on_the_page(client_for, study, coder_a, world, three):
    client = client_for(coder_a)
    url = reverse("exchange-report-order", args=[study.slug, world["craft"].uuid])
    seen = report.order_stamp(e.uuid for e in three)
    response = client.post(
        url, {"extract": three[2].uuid, "move": "up", "seen": seen}, headers=HTMX
    )
    assert response.status_code == 200
    assert f'id="report-theme-{world["craft"].uuid}"' in response.text
    assert visible_order(study, coder_a, world["craft"]) == [
        str(three[0].uuid), str(three[2].uuid), str(three[1].uuid)
    ]  # fmt: skip
    # The same button again, from the page as it was: refused, the section as it now is.
    stale = client.post(url, {"extract": three[2].uuid, "move": "up", "seen": seen}, headers=HTMX)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    plain = client.post(
        url,
        {
            "extract": three[0].uuid,
            "move": "down",
            "seen": report.order_stamp(visible_order(study, coder_a, world["craft"])),
        },
    )
    assert plain.status_code == 302
    assert plain["Location"].endswith(f"#report-theme-{world['craft'].uuid}")
    bad = client.post(url, {"extract": three[0].uuid, "move": "sideways"}, headers=HTMX)
    assert bad.status_code == 422 and "“sideways” is not a move" in bad.text


def test_reorder_keeps_what_is_hidden_in_its_place(study, lead, coder_a, world, blind):
    a = member(study, coder_a)
    own = code_create(member=a, label="my listening")
    ThemeCode.objects.create(theme=world["craft"], code=own, position=9, added_by=lead)
    t1 = world["t"][0]
    first = report.extract_choose(
        member=a, theme=world["craft"], coding=apply(study, coder_a, t1, "I listen first", own)
    )
    hidden = report.extract_choose(member=member(study, lead), theme=world["craft"], coding=blind)
    last = report.extract_choose(
        member=a, theme=world["craft"], coding=apply(study, coder_a, t1, "people think", own)
    )
    assert visible_order(study, coder_a, world["craft"]) == [str(first.uuid), str(last.uuid)]
    report.extracts_reorder(member=a, theme=world["craft"], order=[str(last.uuid), str(first.uuid)])
    assert visible_order(study, lead, world["craft"]) == [
        str(last.uuid), str(hidden.uuid), str(first.uuid)
    ]  # fmt: skip


def test_remove_on_the_page(client_for, study, coder_a, viewer, world, three):
    url = reverse("exchange-report-remove", args=[study.slug, three[0].uuid])
    assert client_for(viewer).post(url).status_code == 403
    response = client_for(coder_a).post(url, headers=HTMX)
    assert response.status_code == 200
    assert not ReportExtract.objects.filter(pk=three[0].pk).exists()
    again = client_for(coder_a).post(url, headers=HTMX)
    assert again.status_code == 422 and again["HX-Refresh"] == "true"


# Table 4 and the methods scaffold ----------------------------------------------------------


def test_table4(study, lead, coder_a, world):
    t1, t2, t3 = world["t"]
    p10 = make_locked_transcript(study, "P10", TURNS)
    apply(study, lead, p10, "I name it", world["repair"])
    make_theme(study, "Boundaries", by=lead, definition="Where the work stops.")
    make_theme(
        study, "Dropped", [world["listening"]], by=lead, status="discarded", discard_reason="x"
    )
    rows = report.table4(member(study, coder_a))
    assert [row.theme.name for row in rows] == ["Craft", "Boundaries"]
    craft = rows[0]
    assert [sub.name for sub in craft.subthemes] == ["Repair"]
    assert craft.definition == "How the alliance is made."
    # Through its own code and its subtheme's, in natural order (P10 after P3).
    assert craft.participants == ["P1", "P2", "P3", "P10"]
    assert rows[1].participants == [] and rows[1].subthemes == []


def test_table4_counts_only_what_the_member_sees(study, lead, coder_a, world, blind):
    # The open round on P1 and P2 hides the lead's codings there, and coder B's, from coder A.
    (craft,) = report.table4(member(study, coder_a))
    assert craft.participants == ["P3"]
    (craft,) = report.table4(member(study, lead))
    assert craft.participants == ["P1", "P2", "P3"]


def test_the_methods_without_agreement_have_no_figures(study, lead, coder_a, world):
    study.epistemological_stance = "Critical realist."
    study.save()
    methods = report.methods_scaffold(member(study, coder_a))
    text = " ".join(p for s in methods.sections for p in s.paragraphs)
    assert "Type of thematic analysis: reflexive thematic analysis." in text
    assert "Epistemological stance: Critical realist." in text
    assert "1 researcher coded 3 transcripts" in text
    assert "No blind coding rounds were held" in text
    assert "No intercoder agreement statistics were computed" in text
    assert methods.agreement is None
    assert "kappa" not in text.lower() and "alpha" not in text.lower()

    study.analysis_mode = AnalysisMode.CODEBOOK
    study.save()
    methods = report.methods_scaffold(member(study, coder_a))
    assert [s.heading for s in methods.sections] == ["Approach", "Coding", "Reconciliation"]


def test_the_methods_with_agreement_and_reconciliation(study, lead, coder_a, coder_b, world):
    t1, t2, _t3 = world["t"]
    coding_round = round_open(
        member=member(study, lead), title="R1", transcripts=[t1, t2], coders=[coder_a, coder_b]
    )
    for user in (coder_a, coder_b):
        code = code_create(member=member(study, user), label=f"safety {user.username}")
        apply(study, user, t1, "I listen first", code)
        apply(study, user, t2, "we repair it together", code)
    round_unblind(member=member(study, lead), coding_round=coding_round)
    run = agreement_compute(
        member=member(study, lead), coders=[coder_a, coder_b],
        justification="To prompt discussion of where our readings part ways.",
    )  # fmt: skip
    reconciliation = Reconciliation.objects.create(
        study=study, title="A and B", coder_a=coder_a, coder_b=coder_b, started_by=lead,
        finished_at=timezone.now(),
    )  # fmt: skip
    version = t1.versions.get()
    for n, outcome in enumerate(["agreed", "kept_both", "kept_both"]):
        Decision.objects.create(
            reconciliation=reconciliation, version=version, kind="only_a", start=n, end=n + 2,
            item=f"item-{n}", outcome=outcome, rationale="because", decided_by=lead,
        )  # fmt: skip
    Meeting.objects.create(study=study, held_on=date(2025, 3, 4), title="M1", created_by=lead)
    Meeting.objects.create(study=study, held_on=date(2025, 3, 18), title="M2", created_by=lead)

    methods = report.methods_scaffold(member(study, coder_a))
    assert methods.agreement == run
    sections = {s.heading: " ".join(s.paragraphs) for s in methods.sections}
    assert "3 researchers coded 3 transcripts" in sections["Coding"]
    assert "Coding was blind in 1 round" in sections["Coding"]
    assert "1 round was unblinded by the lead author" in sections["Coding"]
    assert "1 reconciliation (1 finished)" in sections["Reconciliation"]
    assert "3 decisions" in sections["Reconciliation"]
    assert "1 agreed change, 2 kept both, 0 deferred, 0 unresolved" in sections["Reconciliation"]
    assert "met 2 times between 04 March 2025 and 18 March 2025" in sections["Reconciliation"]
    agreement = sections["Intercoder agreement"]
    pooled = run.result["pooled"]
    assert "with the speaker turn as the unit" in agreement
    assert "for 2 coders over 2 transcripts" in agreement
    assert f"({pooled['n_units']} units)" in agreement
    assert f"percent agreement {pooled['percent_agreement'] * 100:.1f} %" in agreement
    assert "Cohen's kappa" in agreement and "Krippendorff's alpha (nominal)" in agreement
    assert (
        "It was computed because: “To prompt discussion of where our readings part ways.”"
        in agreement
    )


def test_a_run_hidden_by_an_open_round_is_not_reported(study, lead, coder_a, coder_b, world):
    t1, t2, t3 = world["t"]
    for user in (coder_a, coder_b):
        code = code_create(member=member(study, user), label=f"safety {user.username}")
        apply(study, user, t1, "I listen first", code)
    agreement_compute(
        member=member(study, lead), coders=[coder_a, coder_b], transcripts=[t1],
        justification="To prompt discussion of where our readings part ways.",
    )  # fmt: skip
    round_open(member=member(study, lead), title="R2", transcripts=[t1], coders=[coder_a, coder_b])
    methods = report.methods_scaffold(member(study, coder_a))
    assert methods.agreement is None
    assert AgreementRun.objects.count() == 1


# The builder page ---------------------------------------------------------------------------


def test_the_page(client_for, study, coder_a, viewer, outsider, world):
    report.extract_choose(member=member(study, coder_a), theme=world["craft"], coding=world["c1"])
    page = client_for(coder_a).get(page_url(study))
    assert page.status_code == 200
    text = page.text
    quote = text.split('id="quote-')[1].split("</li>")[0]
    assert "I listen first" in quote and "(P1)" in quote
    assert (
        "Consent to quotation: yes" in quote and "Verbatim check: matches the transcript" in quote
    )
    assert "Move up" in quote and "Take out" in quote
    assert "Table 4" in text and "How the alliance is made." in text
    assert "Methods scaffold" in text and "Type of thematic analysis" in text
    assert reverse("exchange-report-docx", args=[study.slug]) in text
    # The subtheme's section comes after its theme's, and is marked as a subtheme.
    assert text.index(f'id="report-theme-{world["craft"].uuid}"') < text.index(
        f'id="report-theme-{world["sub"].uuid}"'
    )
    viewer_page = client_for(viewer).get(page_url(study)).text
    assert "I listen first" in viewer_page
    assert "Take out" not in viewer_page and ">Choose<" not in viewer_page
    assert client_for(outsider).get(page_url(study)).status_code == 404


def test_choose_on_the_page(client_for, study, coder_a, viewer, world):
    url = choose_url(study, world["craft"])
    assert client_for(viewer).post(url, {"coding": world["c1"].uuid}).status_code == 403
    client = client_for(coder_a)
    plain = client.post(url, {"coding": world["c1"].uuid})
    assert plain.status_code == 302
    assert plain["Location"].endswith(f"#report-theme-{world['craft'].uuid}")
    assert ReportExtract.objects.get().coding == world["c1"]
    htmx = client.post(url, {"coding": world["c2"].uuid}, headers=HTMX)
    assert htmx.status_code == 200
    assert "Added a quote of P2 to “Craft”." in htmx.text
    assert htmx.text.count('id="quote-') == 2
    for bad in ("", "not-a-uuid", "00000000-0000-0000-0000-000000000001"):
        refused = client.post(url, {"coding": bad}, headers=HTMX)
        assert refused.status_code == 422
        assert "Choose an extract from the list" in refused.text
    assert ReportExtract.objects.count() == 2


def test_the_candidates_page_through_one_theme(client_for, study, lead, coder_a, world):
    t1 = world["t"][0]
    words = TURNS[1][1].split()
    for n in range(len(words) - 1):
        apply(study, lead, t1, " ".join(words[n : n + 2]), world["listening"])
    client = client_for(coder_a)
    first = client.get(page_url(study)).text
    craft = section(first, world["craft"])
    assert len(CANDIDATE.findall(craft)) == 10
    # 12 pairs of words and "I listen first" on P1; P2's and P3's passages through "Repair".
    assert "All 15 candidates of “Craft”, 50 a page" in craft
    focused = client.get(page_url(study, theme=world["craft"].uuid, page=1)).text
    assert len(CANDIDATE.findall(section(focused, world["craft"]))) == 15


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_the_page_query_count_is_constant(
    client_for, django_assert_num_queries, study, lead, coder_a, coder_b, personas, persona
):
    """The page's queries do not grow with the numbers of themes, quotes and candidates: the
    same count pinned at two sizes (with an open round, so that the blind rule is at work)."""
    lead_member = member(study, lead)
    transcripts = []

    def grow(n: int) -> None:
        for _ in range(n):
            k = len(transcripts) + 1
            transcript = make_locked_transcript(study, f"P{k}", TURNS)
            transcripts.append(transcript)
            consent(transcript.participant, k % 2 == 1, by=lead)
            code = code_create(member=lead_member, label=f"code {k}")
            theme = make_theme(study, f"Theme {k}", [code], by=lead, definition="d")
            sub = make_theme(study, f"Sub {k}", [code], by=lead, parent=theme)
            for words in ("I listen first", "small talk", "we repair it together"):
                coding = apply(study, lead, transcript, words, code)
                if k % 2 == 1:
                    report.extract_choose(member=lead_member, theme=theme, coding=coding)
                    report.extract_choose(member=lead_member, theme=sub, coding=coding)

    grow(2)
    round_open(
        member=lead_member, title="R", transcripts=transcripts[:1], coders=[coder_a, coder_b]
    )
    client = client_for(personas[persona])
    assert client.get(page_url(study)).status_code == 200
    with django_assert_num_queries(QUERIES) as small:
        assert client.get(page_url(study)).status_code == 200
    grow(3)
    with django_assert_num_queries(QUERIES):
        assert client.get(page_url(study)).status_code == 200
    assert small  # (the context manager's captured queries)


QUERIES = 22


# In Chromium --------------------------------------------------------------------------------


def log_in(page, username: str) -> None:
    from studies.tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choose_move_and_take_out_in_a_browser(page, study, coder_a, world):
    from playwright.sync_api import expect

    log_in(page, "coder_a")
    page.goto(page_url(study))
    craft = page.locator(f"#report-theme-{world['craft'].uuid}")
    blocked = craft.locator(f"#candidate-{world['craft'].uuid}-{world['c3'].uuid}")
    assert blocked.get_by_role("button", name="Choose").is_disabled()
    assert "P3 has not consented to verbatim quotation" in blocked.inner_text()
    for coding in ("c1", "c2"):
        candidate = page.locator(f"#candidate-{world['craft'].uuid}-{world[coding].uuid}")
        candidate.get_by_role("button", name="Choose").click()
        candidate.wait_for(state="detached")
    quotes = craft.locator(".report-quote")
    assert quotes.count() == 2
    assert "(P1)" in quotes.nth(0).inner_text() and "(P2)" in quotes.nth(1).inner_text()
    quotes.nth(1).get_by_role("button", name="Move the quote of P2 up").click()
    expect(craft.locator(".report-quote").nth(0)).to_contain_text("(P2)")
    craft.locator(".report-quote").nth(0).get_by_role("button", name="Take out").click()
    expect(page.get_by_text("Took a quote out of “Craft”.")).to_be_visible()
    expect(craft.locator(".report-quote")).to_have_count(1)
    assert ReportExtract.objects.get().coding_id == world["c1"].pk
