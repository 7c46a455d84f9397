"""Reviewing themes: level 1 (a theme's extracts read together, reviewed, a code moved out) and
level 2 (the participants-by-themes matrix, the framework matrix, passages in no theme,
transcripts with little coding; counts only on request, with the caveat)."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from coding.models import Coding
from coding.rounds import round_open
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from themes import review
from themes.models import CellSummary, ExtractReview, Theme, ThemeCode

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CAVEAT = (
    "Prevalence is not importance: a theme that few participants voice can matter as much as "
    "one that many do."
)


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, code) -> Coding:
    start = transcript.versions.get().text.index(words)
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


def extracts_url(study, theme, **params):
    base = reverse("themes-extracts", args=[study.slug, theme.uuid])
    return f"{base}?{urlencode(params)}" if params else base


def review_url(study, theme, coding):
    return reverse("themes-extract-review", args=[study.slug, theme.uuid, coding.uuid])


def move_url(study, theme, code):
    return reverse("themes-code-move-out", args=[study.slug, theme.uuid, code.uuid])


def cell_url(study, theme, participant):
    return reverse("themes-cell-summary", args=[study.slug, theme.uuid, participant.uuid])


def coverage_url(study, **params):
    base = reverse("themes-coverage", args=[study.slug])
    return f"{base}?{urlencode(params)}" if params else base


def framework_url(study, **params):
    base = reverse("themes-framework", args=[study.slug])
    return f"{base}?{urlencode(params)}" if params else base


def extract_ids(text: str) -> list[str]:
    return re.findall(r'id="extract-([0-9a-f-]{36})"', text)


def cell(text: str, theme, participant) -> str:
    """The HTML of one matrix cell."""
    return text.split(f'id="cell-{theme.uuid}-{participant.uuid}"')[1].split("</td>")[0]


def section(text: str, name: str) -> str:
    return text.split(f'id="{name}"')[1].split("</section>")[0]


@pytest.fixture
def data(study, lead, coder_a, coder_b):
    """Three participants (one transcript each) and three themes, by hand:

    T1 = listening + small talk, T2 = repair, T3 = small talk + care (a code in two themes).
    P1: listening, repair (and coder B's overlapping listening) → T1, T2.
    P2: small talk → T1, T3.
    P3: care → T3; and passages under codes in no theme: one in no theme at all, one only in
    the holding area, one only in a discarded theme.
    """
    t1, t2, t3 = (make_locked_transcript(study, f"P{n}") for n in (1, 2, 3))
    a = member(study, coder_a)
    codes = {
        label: code_create(member=a, label=label)
        for label in ["listening", "repair", "small talk", "care", "loose", "held", "dropped"]
    }
    codings = {
        "p1 listening": apply(study, coder_a, t1, "I listen first", codes["listening"]),
        "p1 repair": apply(study, coder_a, t1, "we repair it together", codes["repair"]),
        "p1 listening b": apply(study, coder_b, t1, "listen first", codes["listening"]),
        "p2 small talk": apply(study, coder_a, t2, "café small talk", codes["small talk"]),
        "p3 care": apply(study, coder_a, t3, "carefully", codes["care"]),
        "p3 loose": apply(study, coder_a, t3, "I name it", codes["loose"]),
        "p3 held": apply(study, coder_a, t3, "Slowly", codes["held"]),
        "p3 dropped": apply(study, coder_a, t3, "How did", codes["dropped"]),
    }
    themes = {
        "T1": make_theme(study, "Listening before fixing", [codes["listening"], codes["small talk"]], by=lead),
        "T2": make_theme(study, "Repair as a shared act", [codes["repair"]], by=lead, position=1),
        "T3": make_theme(study, "Care in small things", [codes["small talk"], codes["care"]], by=lead, position=2),
        "holding": make_theme(study, "Miscellaneous", [codes["held"]], by=lead, holding=True, position=3),
        "discarded": make_theme(
            study, "Dropped idea", [codes["dropped"]], by=lead, position=4,
            status="discarded", discard_reason="Too thin.",
        ),
    }  # fmt: skip
    return {
        "transcripts": (t1, t2, t3),
        "participants": (t1.participant, t2.participant, t3.participant),
        "codes": codes,
        "codings": codings,
        "themes": themes,
    }


# Level 1: a theme's extracts ----------------------------------------------------------------


def test_a_themes_extracts_are_listed_with_context_and_a_link_back(
    client_for, study, data, coder_a
):
    theme, (_t1, t2, _t3) = data["themes"]["T1"], data["transcripts"]
    response = client_for(coder_a).get(extracts_url(study, theme))
    assert response.status_code == 200
    codings = data["codings"]
    # Code by code in the theme's order, then in transcript order.
    assert extract_ids(response.text) == [
        str(codings["p1 listening"].uuid),
        str(codings["p1 listening b"].uuid),
        str(codings["p2 small talk"].uuid),
    ]
    extract = response.text.split(f'id="extract-{codings["p2 small talk"].uuid}"')[1]
    extract = extract.split("</li>")[0]
    # The words, with a little context from their turn, and a link to the place.
    assert (
        'Slowly 🙂 — I listen first, and the <mark class="extract-text">café small talk</mark> matters'
        in extract
    )
    link = reverse("coding-transcript", args=[study.slug, t2.uuid])
    assert f'href="{link}?at={codings["p2 small talk"].start}#turn-2"' in extract
    assert "P2" in extract and "coded by coder_a" in extract
    # The codes in the theme, each with the way out.
    assert "Codes in this theme" in response.text
    assert move_url(study, theme, data["codes"]["listening"]) in response.text
    # Not an extract of another theme's code.
    assert str(codings["p1 repair"].uuid) not in response.text


def test_the_extracts_can_be_read_for_one_participant(client_for, study, data, coder_a):
    theme, (p1, _p2, _p3) = data["themes"]["T1"], data["participants"]
    response = client_for(coder_a).get(extracts_url(study, theme, participant=p1.uuid))
    assert response.status_code == 200
    codings = data["codings"]
    assert extract_ids(response.text) == [
        str(codings["p1 listening"].uuid),
        str(codings["p1 listening b"].uuid),
    ]


@pytest.mark.parametrize("value", ["00000000-0000-0000-0000-000000000001", "not-a-uuid"])
def test_an_unknown_participant_is_refused(client_for, study, data, coder_a, value):
    response = client_for(coder_a).get(extracts_url(study, data["themes"]["T1"], participant=value))
    assert response.status_code == 422
    assert "There is no such participant in this study." in response.text
    assert extract_ids(response.text) == []


def test_the_subthemes_extracts_come_on_request(client_for, study, data, lead, coder_a):
    parent = data["themes"]["T2"]
    sub = make_theme(study, "Repair after rupture", [data["codes"]["care"]], by=lead, parent=parent)
    client = client_for(coder_a)
    own = client.get(extracts_url(study, parent))
    assert extract_ids(own.text) == [str(data["codings"]["p1 repair"].uuid)]
    assert "Include the extracts of its subthemes (Repair after rupture)" in own.text
    both = client.get(extracts_url(study, parent, subthemes="on"))
    care = data["codings"]["p3 care"]
    assert extract_ids(both.text) == [str(data["codings"]["p1 repair"].uuid), str(care.uuid)]
    # An extract reached through the subtheme is reviewed against the subtheme.
    assert review_url(study, sub, care) in both.text
    assert move_url(study, sub, data["codes"]["care"]) in both.text


def test_a_large_theme_is_paged(client_for, study, lead, coder_a):
    words = [f"passage number {n:03d} of the talk" for n in range(60)]
    transcript = make_locked_transcript(study, "P9", [("P", w) for w in words])
    a = member(study, coder_a)
    code = code_create(member=a, label="talk")
    for w in words:
        apply(study, coder_a, transcript, w, code)
    theme = make_theme(study, "Talk", [code], by=lead)
    client = client_for(coder_a)
    first = client.get(extracts_url(study, theme))
    assert len(extract_ids(first.text)) == 50
    assert "Page 1 of 2" in first.text
    second = client.get(extracts_url(study, theme, page=2))
    assert len(extract_ids(second.text)) == 10
    assert not set(extract_ids(first.text)) & set(extract_ids(second.text))


# Level 1: fits, or does not fit ------------------------------------------------------------


def test_a_review_is_recorded_then_changed_in_place(client_for, study, data, coder_a, lead):
    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    client = client_for(coder_a)
    response = client.post(
        review_url(study, theme, coding), {"fits": "fits", "note": "", "seen": ""}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#extract-{coding.uuid}")
    saved = ExtractReview.objects.get()
    assert (saved.theme, saved.coding, saved.fits, saved.by) == (theme, coding, True, coder_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.THEME_CHANGE)
    assert event.details == {
        "extract_review": {"coding": str(coding.uuid), "fits": True, "with_note": False}
    }

    # The lead, with the page as it now is, changes it (htmx: the review region comes back).
    client = client_for(lead)
    page = client.get(extracts_url(study, theme)).text
    seen = re.search(rf'id="review-{coding.uuid}".*?name="seen" value="([^"]*)"', page, re.S).group(
        1
    )
    assert seen == review.stamp(saved)
    response = client.post(
        review_url(study, theme, coding),
        {"fits": "does_not_fit", "note": "About the setting, not the listening.", "seen": seen},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<div id="review-{coding.uuid}"')
    assert "Does not fit" in response.text and "About the setting" in response.text
    saved = ExtractReview.objects.get()  # still one: an upsert
    assert (saved.fits, saved.note, saved.by) == (
        False,
        "About the setting, not the listening.",
        lead,
    )
    # The note itself stays out of the audit log.
    assert "setting" not in str(AuditEvent.objects.filter(action="themes.change").values("details"))


def test_a_stale_review_is_refused_and_the_current_one_shown(
    client_for, study, data, coder_a, lead
):
    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    review.extract_review_save(
        member=member(study, lead), theme=theme, coding=coding, fits=True, note="Fits well."
    )
    response = client_for(coder_a).post(
        review_url(study, theme, coding),
        {"fits": "does_not_fit", "note": "No.", "seen": ""},  # made before the lead's review
        headers=HTMX,
    )
    assert response.status_code == 409
    assert "was changed by lead after you opened the page" in response.text
    assert "Fits well." in response.text
    assert ExtractReview.objects.get().fits is True


@pytest.mark.parametrize(
    ("data_", "message"),
    [
        ({"note": "x"}, "Say whether the extract fits the theme."),
        ({"fits": "maybe"}, "Say whether the extract fits the theme: fits, or does not fit."),
        ({"fits": "fits", "note": "x" * 2001}, "A note has at most 2000 characters."),
    ],
)
def test_a_bad_review_changes_nothing(client_for, study, data, coder_a, data_, message):
    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    client = client_for(coder_a)
    plain = client.post(review_url(study, theme, coding), data_)
    assert plain.status_code == 422 and message in plain.text
    htmx = client.post(review_url(study, theme, coding), data_, headers=HTMX)
    assert htmx.status_code == 422 and message in htmx.text
    assert not ExtractReview.objects.exists()


def test_an_extract_of_another_themes_code_is_not_reviewed_under_this_one(
    client_for, study, data, coder_a
):
    response = client_for(coder_a).post(
        review_url(study, data["themes"]["T1"], data["codings"]["p1 repair"]), {"fits": "fits"}
    )
    assert response.status_code == 422
    assert "no longer reaches “Listening before fixing” through its codes" in response.text
    assert not ExtractReview.objects.exists()


# Level 1: moving a code out ---------------------------------------------------------------


def test_a_code_in_no_other_theme_moves_to_the_holding_area(client_for, study, data, coder_a):
    theme, code = data["themes"]["T1"], data["codes"]["listening"]
    response = client_for(coder_a).post(move_url(study, theme, code), {"revision": theme.revision})
    assert response.status_code == 302
    assert not ThemeCode.objects.filter(theme=theme, code=code).exists()
    assert ThemeCode.objects.filter(theme=data["themes"]["holding"], code=code).exists()
    theme.refresh_from_db()
    assert theme.revision == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.THEME_CHANGE)
    assert event.details["code_moved_out"] == {
        "code": str(code.uuid),
        "label": "listening",
        "to_holding_area": True,
    }
    page = client_for(coder_a).get(response["Location"]).text
    assert "it now waits in the holding area" in page
    assert str(data["codings"]["p1 listening"].uuid) not in page


def test_a_code_in_another_theme_just_leaves_this_one(client_for, study, data, coder_a):
    theme, code = data["themes"]["T1"], data["codes"]["small talk"]
    response = client_for(coder_a).post(
        move_url(study, theme, code), {"revision": theme.revision}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="theme-review">')
    assert "it stays in its other themes" in response.text
    assert list(ThemeCode.objects.filter(code=code).values_list("theme", flat=True)) == [
        data["themes"]["T3"].pk
    ]


def test_a_code_moved_out_with_a_stale_form_stays(client_for, study, data, coder_a):
    theme, code = data["themes"]["T1"], data["codes"]["listening"]
    response = client_for(coder_a).post(
        move_url(study, theme, code), {"revision": theme.revision - 1 or 99}, headers=HTMX
    )
    assert response.status_code == 409
    assert "was changed after you opened this page" in response.text
    assert ThemeCode.objects.filter(theme=theme, code=code).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.THEME_CHANGE).exists()


def test_nothing_moves_out_of_the_holding_area(client_for, study, data, coder_a):
    holding, code = data["themes"]["holding"], data["codes"]["held"]
    response = client_for(coder_a).post(move_url(study, holding, code), {})
    assert response.status_code == 422
    assert "The holding area keeps the codes that fit no theme yet" in response.text
    assert ThemeCode.objects.filter(theme=holding, code=code).exists()


# Level 1: who may ---------------------------------------------------------------------------


def test_a_viewer_reads_but_changes_nothing(client_for, study, data, viewer):
    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    client = client_for(viewer)
    page = client.get(extracts_url(study, theme))
    assert page.status_code == 200 and str(coding.uuid) in page.text
    assert "Save review" not in page.text and "Move out of" not in page.text
    assert client.post(review_url(study, theme, coding), {"fits": "fits"}).status_code == 403
    code = data["codes"]["small talk"]
    assert client.post(move_url(study, theme, code), {}).status_code == 403
    assert not ExtractReview.objects.exists()
    assert ThemeCode.objects.filter(theme=theme, code=code).exists()


def test_an_outsider_finds_nothing(client_for, study, data, outsider):
    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    client = client_for(outsider)
    assert client.get(extracts_url(study, theme)).status_code == 404
    assert client.post(review_url(study, theme, coding), {"fits": "fits"}).status_code == 404
    assert client.post(move_url(study, theme, data["codes"]["listening"])).status_code == 404
    assert client.get(coverage_url(study)).status_code == 404
    assert client.get(framework_url(study)).status_code == 404
    participant = data["participants"][0]
    assert client.post(cell_url(study, theme, participant), {"text": "x"}).status_code == 404
    assert not ExtractReview.objects.exists() and not CellSummary.objects.exists()


def test_another_studys_theme_is_not_found(client_for, study, data, coder_a, custodian):
    from studies.tests.factories import make_study

    other = make_study(creator=custodian, title="Another study")
    theme = make_theme(other, "Elsewhere", by=custodian)
    assert client_for(coder_a).get(extracts_url(study, theme)).status_code == 404


# The blind rule ----------------------------------------------------------------------------

CANARY_LABEL = "zq-theme-canary-label"
CANARY_WORDS = "zq-theme-canary-words"


def test_during_a_blind_round_a_coder_sees_no_extract_of_the_other_coders(
    client_for, study, lead, coder_a, coder_b
):
    transcript = make_locked_transcript(
        study,
        "P1",
        [("I", "What helps?"), ("P", "Mostly patience."), ("I", "And?"), ("P", f"{CANARY_WORDS}.")],
    )
    round_open(
        member=member(study, lead), title="Round 1", transcripts=[transcript],
        coders=[coder_a, coder_b],
    )  # fmt: skip
    b, lead_member = member(study, coder_b), member(study, lead)
    canary = code_create(member=b, label=CANARY_LABEL)
    shared = code_create(member=lead_member, label="patience")
    hidden = apply(study, coder_b, transcript, CANARY_WORDS, canary)
    hidden_shared = apply(study, coder_b, transcript, "patience", shared)
    own = apply(study, coder_a, transcript, "Mostly", shared)
    # The lead, who codes in no round, builds a theme with coder B's code.
    theme = make_theme(study, "Patience", [canary, shared], by=lead)

    lead_page = client_for(lead).get(extracts_url(study, theme)).text
    assert CANARY_LABEL in lead_page and CANARY_WORDS in lead_page  # the canaries are there

    client = client_for(coder_a)
    for url in (
        extracts_url(study, theme),
        extracts_url(study, theme, participant=transcript.participant.uuid),
        coverage_url(study),
        coverage_url(study, counts=1),
        framework_url(study, counts=1),
    ):
        for headers in ({}, HTMX):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert CANARY_LABEL not in response.text and CANARY_WORDS not in response.text, url
    page = client.get(extracts_url(study, theme)).text
    assert extract_ids(page) == [str(own.uuid)]
    assert str(hidden_shared.uuid) not in page
    # Coder B's extracts cannot be reviewed by coder A either: they are not there.
    response = client.post(review_url(study, theme, hidden), {"fits": "fits"})
    assert response.status_code == 404
    assert not ExtractReview.objects.exists()
    # In the matrix coder A sees one extract of the participant's in the theme: their own.
    counted = client.get(coverage_url(study, counts=1)).text
    assert '<span class="cell-count">1</span>' in cell(counted, theme, transcript.participant)


# Level 2: the matrix ------------------------------------------------------------------------


def test_the_matrix_marks_who_contributes_to_which_theme(client_for, study, data, viewer):
    response = client_for(viewer).get(coverage_url(study))
    assert response.status_code == 200
    text = response.text
    t1, t2, t3 = (data["themes"][name] for name in ("T1", "T2", "T3"))
    p1, p2, p3 = data["participants"]
    expected = {
        (p1, t1): True, (p1, t2): True, (p1, t3): False,
        (p2, t1): True, (p2, t2): False, (p2, t3): True,
        (p3, t1): False, (p3, t2): False, (p3, t3): True,
    }  # fmt: skip
    for (participant, theme), marked in expected.items():
        html = cell(text, theme, participant)
        assert ("cell-mark" in html) is marked, (participant, theme)
        link = f"{extracts_url(study, theme)}?participant={participant.uuid}"
        assert (link in html) is marked
    # The holding area and discarded themes are no columns; the themes keep the board's order.
    header = text.split("<thead>")[1].split("</thead>")[0]
    assert "Miscellaneous" not in header and "Dropped idea" not in header
    positions = [header.index(theme.name) for theme in (t1, t2, t3)]
    assert positions == sorted(positions)


def test_a_marked_cell_leads_to_the_participants_extracts(client_for, study, data, coder_a):
    t3, (_p1, p2, _p3) = data["themes"]["T3"], data["participants"]
    text = client_for(coder_a).get(coverage_url(study)).text
    link = re.search(r'href="([^"]+)"', cell(text, t3, p2)).group(1).replace("&amp;", "&")
    extracts = client_for(coder_a).get(link)
    assert extract_ids(extracts.text) == [str(data["codings"]["p2 small talk"].uuid)]


def test_counts_only_on_request_and_with_the_caveat(client_for, study, data, coder_a):
    client = client_for(coder_a)
    t1, (p1, _p2, p3) = data["themes"]["T1"], data["participants"]
    plain = client.get(coverage_url(study)).text
    assert CAVEAT not in plain
    assert "cell-count" not in plain
    assert "Show counts" in plain and f'href="{coverage_url(study, counts=1)}"' in plain
    counted = client.get(coverage_url(study, counts=1)).text
    assert CAVEAT in counted and "Hide counts" in counted
    # P1 has two extracts in T1: coder A's and coder B's.
    assert '<span class="cell-count">2</span>' in cell(counted, t1, p1)
    assert "0</span>" in cell(counted, t1, p3)
    # The themes keep their order with counts too.
    header = counted.split("<thead>")[1].split("</thead>")[0]
    names = [data["themes"][n].name for n in ("T1", "T2", "T3")]
    assert [header.index(n) for n in names] == sorted(header.index(n) for n in names)
    for other in ("counts=0", "counts=yes"):
        assert CAVEAT not in client.get(f"{coverage_url(study)}?{other}").text
    framework = client.get(framework_url(study, counts=1)).text
    assert CAVEAT in framework and '<span class="cell-count">2</span>' in cell(framework, t1, p1)


# Level 2: the framework matrix --------------------------------------------------------------


def test_a_cell_summary_is_written_in_place_and_removed(client_for, study, data, coder_a, lead):
    t1, (p1, _p2, _p3) = data["themes"]["T1"], data["participants"]
    client = client_for(coder_a)
    page = client.get(framework_url(study)).text
    assert "Summarise" in cell(page, t1, p1)
    response = client.post(
        cell_url(study, t1, p1), {"text": "Listens before any technique.", "seen": ""}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<td id="cell-{t1.uuid}-{p1.uuid}"')
    assert "Listens before any technique." in response.text
    summary = CellSummary.objects.get()
    assert (summary.theme, summary.participant, summary.by) == (t1, p1, coder_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.THEME_CHANGE)
    assert event.details == {"cell_summary": {"participant": "P1", "change": "saved"}}
    assert "Listens" in cell(client.get(framework_url(study)).text, t1, p1)
    assert (
        "Listens" not in client.get(coverage_url(study)).text
    )  # the plain matrix has no summaries

    # A form made before that summary is refused, and the summary stays.
    stale = client_for(lead).post(cell_url(study, t1, p1), {"text": "Other.", "seen": ""})
    assert stale.status_code == 409
    assert "was changed by coder_a after you opened the page" in stale.text
    assert CellSummary.objects.get().text == "Listens before any technique."

    # Without JavaScript: post, then back to the cell. An empty summary removes it.
    removed = client_for(lead).post(
        cell_url(study, t1, p1), {"text": "  ", "seen": review.stamp(summary)}
    )
    assert removed.status_code == 302
    assert removed["Location"].endswith(f"#cell-{t1.uuid}-{p1.uuid}")
    assert not CellSummary.objects.exists()


def test_a_summary_needs_a_column_and_a_coder(client_for, study, data, coder_a, viewer):
    p1 = data["participants"][0]
    for name in ("discarded", "holding"):
        response = client_for(coder_a).post(
            cell_url(study, data["themes"][name], p1), {"text": "x"}
        )
        assert response.status_code == 422
        assert "The framework matrix has no column for" in response.text
    long = client_for(coder_a).post(cell_url(study, data["themes"]["T1"], p1), {"text": "x" * 5001})
    assert long.status_code == 422 and "at most 5000 characters" in long.text
    forbidden = client_for(viewer).post(cell_url(study, data["themes"]["T1"], p1), {"text": "x"})
    assert forbidden.status_code == 403
    assert "Summarise" not in client_for(viewer).get(framework_url(study)).text
    assert not CellSummary.objects.exists()


# Level 2: passages in no theme, transcripts with little coding --------------------------------


def test_passages_coded_but_in_no_theme(client_for, study, data, coder_a):
    text = client_for(coder_a).get(coverage_url(study)).text
    part = section(text, "uncovered")
    t3 = data["transcripts"][2]
    for name in ("p3 loose", "p3 held", "p3 dropped"):
        coding = data["codings"][name]
        link = reverse("coding-transcript", args=[study.slug, t3.uuid]) + f"?at={coding.start}"
        assert link in part, name
    assert "“I name it”" in part and "loose" in part
    assert part.count('<span class="stage">in the holding area</span>') == 1
    assert "“carefully”" not in part and "“I listen first”" not in part
    assert t3.title in part and data["transcripts"][0].title not in part


def test_transcripts_with_little_coding_come_first(client_for, study, data, coder_a):
    text = section(client_for(coder_a).get(coverage_url(study)).text, "thin")
    t1, t2, t3 = data["transcripts"]
    assert text.index(t2.title) < text.index(t3.title) < text.index(t1.title)
    length = len(t1.versions.get().text)
    # P1: "I listen first" and "we repair it together" (coder B's overlapping coding counts once).
    assert f"{100 * 35 / length:.1f} %" in text
    assert f"{100 * 15 / length:.1f} %" in text


def test_covered_length_counts_overlaps_once():
    assert review.covered_length([]) == 0
    assert review.covered_length([(5, 10), (0, 3), (8, 12), (12, 14), (20, 21)]) == 3 + 9 + 1


# Query counts -------------------------------------------------------------------------------


def build(study, lead, coder_a, participants: int, themes: int) -> Theme:
    """`participants` transcripts, each coded under `themes` codes, each in its own theme."""
    a = member(study, coder_a)
    codes = [code_create(member=a, label=f"code {n}") for n in range(themes)]
    built = [
        make_theme(study, f"Theme {n}", [code], by=lead, position=n) for n, code in enumerate(codes)
    ]
    for n in range(participants):
        transcript = make_locked_transcript(study, f"P{n + 1}")
        for code, words in zip(
            codes,
            ["Slowly", "I listen first", "café small talk", "I name it", "carefully", "together"],
            strict=False,
        ):
            apply(study, coder_a, transcript, words, code)
        apply(study, coder_a, transcript, "repair", code_create(member=a, label=f"free {n}"))
        CellSummary.objects.create(
            theme=built[0], participant=transcript.participant, text="s", by=lead
        )
    ExtractReview.objects.create(
        theme=built[0], coding=Coding.objects.filter(code=codes[0]).first(), fits=True, by=lead
    )
    return built[0]  # fmt: skip


@pytest.mark.parametrize(("participants", "themes"), [(2, 2), (6, 5)])
@pytest.mark.parametrize(
    ("name", "expected"),
    [("coverage", 12), ("coverage-counts", 12), ("framework", 9), ("extracts", 14)],
)
def test_the_query_count_is_constant(
    client_for,
    django_assert_num_queries,
    study,
    lead,
    coder_a,
    participants,
    themes,
    name,
    expected,
):
    """The pages' query counts do not grow with the numbers of participants, themes or
    extracts: the same count pinned at two sizes."""
    theme = build(study, lead, coder_a, participants=participants, themes=themes)
    url = {
        "coverage": coverage_url(study),
        "coverage-counts": coverage_url(study, counts=1),
        "framework": framework_url(study),
        "extracts": extracts_url(study, theme),
    }[name]
    client = client_for(coder_a)
    assert client.get(url).status_code == 200
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


# In Chromium --------------------------------------------------------------------------------


def log_in(page, username: str) -> None:
    from studies.tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_reviews_summaries_and_moves_happen_in_place(page, study, data, coder_a):
    from playwright.sync_api import expect

    theme, coding = data["themes"]["T1"], data["codings"]["p2 small talk"]
    log_in(page, "coder_a")
    page.goto(extracts_url(study, theme))
    region = page.locator(f"#review-{coding.uuid}")
    region.get_by_text("Review this extract").click()
    region.get_by_label("Does not fit").check()
    region.get_by_label("Note").fill("About the café, not listening.")
    region.get_by_role("button", name="Save review").click()
    expect(page.locator(f"#review-{coding.uuid} .review-state")).to_contain_text(
        "Saved: Does not fit"
    )
    assert page.url.endswith(extracts_url(study, theme))  # no page load: swapped in place
    assert ExtractReview.objects.get().note == "About the café, not listening."

    page.get_by_role("button", name="Move out of “Listening before fixing”").first.click()
    expect(page.locator("#messages")).to_contain_text("now waits in the holding area")
    assert not ThemeCode.objects.filter(theme=theme, code=data["codes"]["listening"]).exists()

    t3, p2 = data["themes"]["T3"], data["participants"][1]
    page.goto(framework_url(study))
    box = page.locator(f"#cell-{t3.uuid}-{p2.uuid}")
    box.locator("summary").click()
    box.locator("textarea").fill("Care shows in the small talk.")
    box.get_by_role("button", name="Save").click()
    expect(page.locator(f"#cell-{t3.uuid}-{p2.uuid} .cell-summary")).to_contain_text(
        "Care shows in the small talk."
    )
    assert CellSummary.objects.get().text == "Care shows in the small talk."
