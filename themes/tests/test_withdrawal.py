"""Withdrawal reaches the themes: a participant's extracts leave every theme (and the coverage
matrix), their framework-matrix summaries go, and each theme that lost extracts says so — how
many, and whose — so that the team looks at it again. The preview counts them beforehand."""

import re

import pytest
from django.urls import reverse

from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import Membership, Participant, Withdrawal
from themes.models import CellSummary, ExtractReview, Theme, ThemeCode

pytestmark = pytest.mark.django_db


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, code):
    start = transcript.versions.get().text.index(words)
    return coding_apply(
        member=member(study, user), transcript=transcript, start=start, end=start + len(words),
        codes=[code],
    )[0]  # fmt: skip


def make_theme(study, name, codes, *, by, position) -> Theme:
    theme = Theme.objects.create(study=study, name=name, created_by=by, position=position)
    for n, code in enumerate(codes):
        ThemeCode.objects.create(theme=theme, code=code, position=n, added_by=by)
    return theme


@pytest.fixture
def themed(study, lead, coder_a, coder_b):
    """P3's transcript has extracts in two themes (three in all, by two coders); P1's reach
    those two and a third theme that P3's never do."""
    p1_transcript = make_locked_transcript(study, "P1")
    p3_transcript = make_locked_transcript(study, "P3")
    a = member(study, coder_a)
    listening, repair, pace = (
        code_create(member=a, label=label) for label in ("listening", "repair", "pace")
    )
    themes = {
        "listening": make_theme(study, "Listening first", [listening], by=lead, position=0),
        "repair": make_theme(study, "Repair together", [repair], by=lead, position=1),
        "pace": make_theme(study, "A slow pace", [pace], by=lead, position=2),
    }  # fmt: skip
    p3_codings = [
        apply(study, coder_a, p3_transcript, "I listen first", listening),
        apply(study, coder_b, p3_transcript, "listen", listening),
        apply(study, coder_a, p3_transcript, "we repair it together", repair),
    ]
    p1_codings = [
        apply(study, coder_a, p1_transcript, "I listen first", listening),
        apply(study, coder_a, p1_transcript, "Slowly", pace),
    ]
    p1, p3 = p1_transcript.participant, p3_transcript.participant
    for participant in (p1, p3):
        CellSummary.objects.create(
            theme=themes["listening"],
            participant=participant,
            text=f"{participant} listens.",
            by=lead,
        )
    ExtractReview.objects.create(
        theme=themes["listening"], coding=p3_codings[0], fits=True, by=lead
    )
    return {
        "themes": themes,
        "p1": p1,
        "p3": p3,
        "p3_codings": p3_codings,
        "p1_codings": p1_codings,
    }


def test_withdrawal_takes_the_extracts_out_of_the_themes_and_marks_them(
    vault_client, client_for, study, themed, lead
):
    p3, themes = themed["p3"], themed["themes"]
    withdraw = reverse("vault-withdraw", args=[study.slug, p3.uuid])

    # The preview counts P3's extracts in themes (each once, though a code may sit in several).
    preview = vault_client.get(withdraw).text
    assert re.search(r"<th scope=\"row\">Extracts in themes</th><td>3</td>", preview)
    assert re.search(r"<th scope=\"row\">Framework-matrix summaries</th><td>1</td>", preview)

    response = vault_client.post(withdraw, {"mode": "erase", "confirmation": "P3"})
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=p3.pk).exists()
    assert Withdrawal.objects.get().scope["Extracts in themes"] == 3

    # Each theme that lost extracts says how many; the other says nothing.
    for theme in themes.values():
        theme.refresh_from_db()
    assert "P3 withdrew; 2 extracts left this theme." in themes["listening"].withdrawal_note
    assert "P3 withdrew; 1 extract left this theme." in themes["repair"].withdrawal_note
    assert themes["pace"].withdrawal_note == ""

    # Their framework-matrix summaries and the reviews of their extracts are gone.
    assert list(CellSummary.objects.values_list("participant", flat=True)) == [themed["p1"].pk]
    assert not ExtractReview.objects.exists()

    client = client_for(lead)
    page = client.get(reverse("themes-extracts", args=[study.slug, themes["listening"].uuid]))
    assert page.status_code == 200
    ids = re.findall(r'id="extract-([0-9a-f-]{36})"', page.text)
    assert ids == [str(themed["p1_codings"][0].uuid)]
    assert "A participant's withdrawal changed this theme" in page.text
    assert "2 extracts left this theme" in page.text
    untouched = client.get(reverse("themes-extracts", args=[study.slug, themes["pace"].uuid]))
    assert "withdrawal changed this theme" not in untouched.text

    matrix = client.get(reverse("themes-coverage", args=[study.slug])).text
    assert str(p3.uuid) not in matrix
    assert f'id="cell-{themes["listening"].uuid}-{themed["p1"].uuid}"' in matrix
    assert "P3" not in matrix.split("<tbody>")[1].split("</tbody>")[0]
    framework = client.get(reverse("themes-framework", args=[study.slug])).text
    assert "P1 listens." in framework and "P3 listens." not in framework


def test_the_note_counts_no_extract_hidden_in_an_open_round(vault_client, study, themed, lead):
    """Everyone reads a theme's withdrawal note: a blind coder's layer must not show in it, not
    even as a number."""
    from coding.models import CodingRound

    p3, themes = themed["p3"], themed["themes"]
    blind = CodingRound.objects.create(study=study, title="Round 3", opened_by=lead)
    blind.transcripts.add(themed["p3_codings"][0].version.transcript)
    revisions = {name: theme.revision for name, theme in themes.items()}
    withdraw = reverse("vault-withdraw", args=[study.slug, p3.uuid])
    assert vault_client.post(withdraw, {"mode": "erase", "confirmation": "P3"}).status_code == 302
    for name, theme in themes.items():
        theme.refresh_from_db()
        assert theme.withdrawal_note == "" and theme.revision == revisions[name], name


def test_a_marked_theme_has_a_new_revision(vault_client, study, themed):
    listening = themed["themes"]["listening"]
    before = listening.revision
    withdraw = reverse("vault-withdraw", args=[study.slug, themed["p3"].uuid])
    vault_client.post(withdraw, {"mode": "erase", "confirmation": "P3"})
    listening.refresh_from_db()
    assert listening.revision == before + 1
