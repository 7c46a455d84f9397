"""The anonymisation workspace: candidates, decisions, the anonymised version, sign-off, lock."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from studies.models import AuditEvent
from studies.tests.factories import make_participant
from transcripts import review
from transcripts.models import (
    Candidate,
    CandidateStatus,
    EntityReplacement,
    ListedIdentifier,
    OriginalText,
    Transcript,
    TranscriptState,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

NAME = "Wilhelmina Thistlethwaite"
TEXT = "\n".join(
    [
        "Interviewer: Thanks for coming, Wilhelmina. How did it start?",
        "P1: I trained at the Corvina Institute, and my supervisor there was Dr Albrecht Quist.",
        "Interviewer: Could people reach you?",
        "P1: Yes, at wilhelmina@example.org, though Quist's advice was to keep work and home apart.",
    ]
)


@pytest.fixture
def p1(study):
    return make_participant(study, "P1", real_name=NAME)


@pytest.fixture
def deny(study, lead):
    ListedIdentifier.objects.create(
        study=study,
        kind="deny",
        text="Albrecht Quist",
        digest=review.digest("Albrecht Quist"),
        category="person",
        replacement="[supervisor]",
        added_by=lead,
    )
    ListedIdentifier.objects.create(
        study=study,
        kind="allow",
        text="Corvina Institute",
        digest=review.digest("Corvina Institute"),
        added_by=lead,
    )


@pytest.fixture
def imported(client_for, study, lead, p1, deny, django_capture_on_commit_callbacks):
    def do(text=TEXT, name="p1.txt"):
        with django_capture_on_commit_callbacks(execute=True):
            client_for(lead).post(
                reverse("transcript-import", args=[study.slug]),
                {"files": [SimpleUploadedFile(name, text.encode())]},
            )
        return Transcript.objects.latest("imported_at")

    return do


def url(name, study, transcript):
    return reverse(name, args=[study.slug, transcript.uuid])


def pending(transcript):
    return list(
        review.current_version(transcript).candidates.filter(status=CandidateStatus.PENDING)
    )


def by_text(transcript, text):
    return next(c for c in review.current_version(transcript).candidates.all() if c.text == text)


def test_import_finds_vault_names_deny_list_entries_and_patterns(imported):
    transcript = imported()
    found = {
        c.text: (c.category, c.replacement)
        for c in review.current_version(transcript).candidates.all()
    }
    assert found["Wilhelmina"][1] == "[participant]"
    assert found["Albrecht Quist"] == ("person", "[supervisor]")
    assert found["Quist"][1] == "[supervisor]"
    assert "wilhelmina@example.org" in found
    assert "Corvina Institute" not in found  # on the allow-list


def test_the_workspace_shows_the_text_with_its_candidates(client_for, study, lead, imported):
    transcript = imported()
    text = client_for(lead).get(url("transcript-review", study, transcript)).text
    assert 'class="candidate pending"' in text
    assert f"0 of {len(pending(transcript))} reviewed" in text


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_coders_and_viewers_cannot_review(client_for, personas, study, imported, persona):
    transcript = imported()
    client = client_for(personas[persona])
    assert client.get(url("transcript-review", study, transcript)).status_code == 403
    candidate = pending(transcript)[0]
    response = client.post(
        url("transcript-review-decide", study, transcript),
        {"candidate": candidate.uuid, "decision": "rejected"},
    )
    assert response.status_code == 403
    assert (
        len(pending(transcript)) > 0 and Candidate.objects.get(pk=candidate.pk).status == "pending"
    )


def test_outsider_gets_404(client_for, outsider, study, imported):
    transcript = imported()
    assert client_for(outsider).get(url("transcript-review", study, transcript)).status_code == 404


def test_accept_with_an_edited_replacement_reject_and_accept_everywhere(
    client_for, study, lead, imported
):
    first = imported()
    second = imported(TEXT.replace("How did it start?", "Shall we go on?"), "p1 part two.txt")
    client = client_for(lead)
    email = by_text(first, "wilhelmina@example.org")
    response = client.post(
        url("transcript-review-decide", study, first),
        {"candidate": email.uuid, "decision": "accepted", "replacement": "[e-mail address]"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="workspace"' in response.text
    assert Candidate.objects.get(pk=email.pk).replacement == "[e-mail address]"
    name = by_text(first, "Wilhelmina")
    client.post(
        url("transcript-review-decide", study, first),
        {
            "candidate": name.uuid,
            "decision": "accepted",
            "replacement": "[participant]",
            "everywhere": "on",
        },
    )
    assert (
        by_text(second, "Wilhelmina").status == CandidateStatus.ACCEPTED
    )  # the other transcript too
    assert EntityReplacement.objects.filter(study=study, replacement="[participant]").exists()
    quist = by_text(first, "Quist")
    client.post(
        url("transcript-review-decide", study, first),
        {"candidate": quist.uuid, "decision": "rejected"},
    )
    assert Candidate.objects.get(pk=quist.pk).status == CandidateStatus.REJECTED
    assert "Wilhelmina" not in str(list(AuditEvent.objects.values("details")))


@pytest.mark.parametrize("replacement", ["colleague", "[", "[" + "x" * 90 + "]"])
def test_a_replacement_must_be_a_bracketed_descriptor(
    client_for, study, lead, imported, replacement
):
    transcript = imported()
    candidate = pending(transcript)[0]
    response = client_for(lead).post(
        url("transcript-review-decide", study, transcript),
        {"candidate": candidate.uuid, "decision": "accepted", "replacement": replacement},
    )
    assert response.status_code == 422
    assert Candidate.objects.get(pk=candidate.pk).status == CandidateStatus.PENDING


def test_mark_a_missed_span_and_refuse_overlaps(client_for, study, lead, imported):
    transcript = imported()
    version = review.current_version(transcript)
    start = version.text.index("home apart")
    client = client_for(lead)
    add = url("transcript-review-add", study, transcript)
    ok = client.post(
        add, {"start": start, "end": start + 4, "category": "place", "replacement": "[place]"}
    )
    assert ok.status_code == 302
    assert by_text(transcript, "home").status == CandidateStatus.ACCEPTED
    overlap = client.post(
        add, {"start": start + 2, "end": start + 8, "category": "place", "replacement": "[place]"}
    )
    assert overlap.status_code == 422 and "overlaps" in overlap.text
    outside = client.post(
        add, {"start": 5, "end": 10**6, "category": "place", "replacement": "[place]"}
    )
    assert outside.status_code == 422


def decide_all(transcript, member):
    for candidate in pending(transcript):
        review.candidate_decide(member=member, candidate=candidate, status=CandidateStatus.ACCEPTED)


def test_apply_replaces_reanchors_turns_and_moves_the_original_to_the_vault(
    client_for, study, lead, custodian, imported
):
    from studies.models import Membership

    transcript = imported()
    client = client_for(lead)
    refused = client.post(url("transcript-review-apply", study, transcript))
    assert refused.status_code == 422 and "still to be reviewed" in refused.text
    decide_all(transcript, Membership.objects.get(study=study, user=lead))
    assert client.post(url("transcript-review-apply", study, transcript)).status_code == 302
    version = review.current_version(transcript)
    assert version.number == 2
    turns = list(version.turns.order_by("position"))
    assert (
        version.text[turns[0].start : turns[0].end]
        == "Thanks for coming, [participant]. How did it start?"
    )
    assert "[supervisor]" in version.text[turns[1].start : turns[1].end]
    assert OriginalText.objects.get(transcript=transcript).text.startswith(
        "Thanks for coming, Wilhelmina."
    )
    assert transcript.versions.get(number=1).text == ""
    # Nothing identifying is left in plain text in any table.
    with connection.cursor() as cursor:
        for model_table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model_table)}")  # noqa: S608
            dump = " ".join(str(value) for row in cursor.fetchall() for value in row)
            for planted in ("Wilhelmina", "Thistlethwaite", "Quist", "wilhelmina@example.org"):
                assert planted not in dump, (model_table, planted)


def test_sign_off_second_check_and_lock(client_for, study, lead, custodian, imported):
    from studies.models import Membership

    transcript = imported()
    decide_all(transcript, Membership.objects.get(study=study, user=lead))
    lead_client = client_for(lead)
    lead_client.post(url("transcript-review-apply", study, transcript))
    assert lead_client.post(url("transcript-review-lock", study, transcript)).status_code == 422
    no_read = lead_client.post(url("transcript-review-sign-off", study, transcript), {})
    assert no_read.status_code == 422 and "Confirm that you have read" in no_read.text
    lead_client.post(url("transcript-review-sign-off", study, transcript), {"full_read": "on"})
    assert (
        lead_client.post(url("transcript-review-check", study, transcript)).status_code == 422
    )  # not the same person
    from django.test import Client

    other = Client()
    other.force_login(custodian)
    assert other.post(url("transcript-review-check", study, transcript)).status_code == 302
    assert other.post(url("transcript-review-lock", study, transcript)).status_code == 302
    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.LOCKED and transcript.is_codable
    assert (transcript.signed_off_by, transcript.checked_by, transcript.locked_by) == (
        lead,
        custodian,
        custodian,
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCK).exists()


def test_the_original_and_log_are_for_custodians_only(
    client_for, study, lead, imported, vault_client
):
    from studies.models import Membership

    transcript = imported()
    decide_all(transcript, Membership.objects.get(study=study, user=lead))
    review.transcript_apply(
        member=Membership.objects.get(study=study, user=lead), transcript=transcript
    )
    page = url("transcript-original", study, transcript)
    text = vault_client.get(page).text
    assert "Wilhelmina" in text and "[participant]" in text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VAULT_READ, details__page="original text and log"
    ).exists()
    from django.test import Client

    for user in ("lead", "coder_a", "viewer"):
        other = Client()
        other.force_login(type(transcript.imported_by).objects.get(username=user))
        assert other.get(page).status_code == 404


def test_deny_and_allow_lists(client_for, study, lead, coder_a):
    page = reverse("transcript-identifiers", args=[study.slug])
    client = client_for(lead)
    ok = client.post(
        page,
        {
            "kind": "deny",
            "text": "St Brigid's Hospital",
            "category": "organisation",
            "replacement": "[hospital]",
        },
    )
    assert ok.status_code == 302
    assert (
        client.post(
            page,
            {
                "kind": "deny",
                "text": "st brigid's hospital",
                "category": "organisation",
                "replacement": "[hospital]",
            },
        ).status_code
        == 422
    )
    assert (
        "needs its replacement"
        in client.post(page, {"kind": "deny", "text": "Elsewhere", "category": "place"}).text
    )
    assert (
        "not bracketed"
        in client.post(
            page, {"kind": "deny", "text": "Elsewhere", "category": "place", "replacement": "x"}
        ).text
    )
    assert ListedIdentifier.objects.count() == 1
    assert "St Brigid" in client.get(page).text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM transcripts_listedidentifier")
        assert "Brigid" not in cursor.fetchone()[0]
    assert client_for(coder_a).post(page, {"kind": "allow", "text": "CBT"}).status_code == 403


def test_verified_against_audio_feeds_the_audio_lifecycle(
    client_for, study, lead, coder_a, p1, deny, django_capture_on_commit_callbacks
):
    from studies.models import Interview

    interview = Interview.objects.create(
        participant=p1, held_on="2025-02-01", audio_copies="laptop"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(lead).post(
            reverse("transcript-import", args=[study.slug]),
            {"files": [SimpleUploadedFile("p1.txt", TEXT.encode())]},
        )
    transcript = Transcript.objects.get()
    assert transcript.interview == interview
    assert (
        client_for(coder_a).post(url("transcript-verify-audio", study, transcript)).status_code
        == 403
    )
    assert (
        client_for(lead).post(url("transcript-verify-audio", study, transcript)).status_code == 302
    )
    interview.refresh_from_db()
    assert interview.verified_by == lead and interview.stage == Interview.Stage.VERIFIED
    again = client_for(lead).post(url("transcript-verify-audio", study, transcript))
    assert again.status_code == 422


class TestCorrection:
    @pytest.fixture
    def locked(self, study, lead, imported):
        from studies.models import Membership

        transcript = imported()
        member = Membership.objects.get(study=study, user=lead)
        decide_all(transcript, member)
        review.transcript_apply(member=member, transcript=transcript)
        review.transcript_sign_off(member=member, transcript=transcript, full_read=True)
        review.transcript_lock(member=member, transcript=transcript)
        return transcript

    def test_a_correction_makes_a_new_version_and_carries_everything_over(
        self, client_for, study, lead, locked
    ):
        from transcripts import versions

        old = review.current_version(locked)
        old_text = old.text
        turns = list(old.turns.order_by("position"))
        # A stand-in for what a later app anchors: ranges before, inside and after the edited turn.
        ranges = {
            "before": (turns[0].start, turns[0].end),
            "inside": (turns[2].start + 2, turns[2].end - 2),
            "after": (turns[3].start, turns[3].end),
        }
        carried = {}

        def carrier(old_version, new_version, offsets):
            for name, (start, end) in ranges.items():
                carried[name] = (offsets.map_range(start, end), new_version)
            return sum(mapped.touched for mapped, _ in carried.values())

        versions.register_carrier(carrier)
        try:
            response = client_for(lead).post(
                url("transcript-correct", study, locked),
                {
                    "turn_position": 3,
                    "text": "Could people get hold of you, then?",
                    "reason": "checked against the audio",
                },
            )
        finally:
            versions._carriers.remove(carrier)
        assert response.status_code == 302
        new = review.current_version(locked)
        assert new.number == old.number + 1
        new_turns = list(new.turns.order_by("position"))
        assert (
            new.text[new_turns[2].start : new_turns[2].end] == "Could people get hold of you, then?"
        )
        assert (
            new.text[new_turns[3].start : new_turns[3].end]
            == old_text[turns[3].start : turns[3].end]
        )
        old.refresh_from_db()
        assert old.text == old_text  # the locked text never changes
        before, _ = carried["before"]
        inside, _ = carried["inside"]
        after, _ = carried["after"]
        assert (
            not before.touched
            and new.text[before.start : before.end] == old_text[slice(*ranges["before"])]
        )
        assert inside.touched
        assert (
            not after.touched
            and new.text[after.start : after.end] == old_text[slice(*ranges["after"])]
        )
        event = AuditEvent.objects.get(action=AuditEvent.Action.TRANSCRIPT_CORRECT)
        assert event.details["flagged"] == 1
        # The list counts the current version's turns, not every version's.
        row = client_for(lead).get(reverse("transcript-list", args=[study.slug])).text
        row = row[row.index(f'id="transcript-{locked.uuid}"') :]
        assert f"<td>{len(new_turns)}</td>" in row[: row.index("</tr>")]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"turn_position": 99, "text": "x", "reason": "r"}, "no turn 99"),
            ({"turn_position": 1, "text": "a\n\nb", "reason": "r"}, "blank line"),
            ({"turn_position": 1, "text": "New words.", "reason": ""}, "This field is required."),
        ],
    )
    def test_bad_corrections_change_nothing(self, client_for, study, lead, locked, data, message):
        before = locked.versions.count()
        response = client_for(lead).post(url("transcript-correct", study, locked), data)
        assert response.status_code == 422
        assert message in response.text
        assert locked.versions.count() == before

    def test_only_a_locked_transcript_is_corrected_and_not_by_a_coder(
        self, client_for, study, lead, coder_a, imported, locked
    ):
        in_review = imported(TEXT + "\nInterviewer: One more thing.", "another.txt")
        data = {"turn_position": 1, "text": "Different words.", "reason": "typo"}
        assert (
            client_for(lead).post(url("transcript-correct", study, in_review), data).status_code
            == 422
        )
        assert (
            client_for(coder_a).post(url("transcript-correct", study, locked), data).status_code
            == 403
        )


def test_search_every_transcript_again_in_the_background(
    client_for, study, lead, imported, django_capture_on_commit_callbacks
):
    from transcripts.models import SearchJob

    first = imported()
    second = imported(TEXT.replace("How did it start?", "Go on."), "second.txt")
    ListedIdentifier.objects.filter(kind="allow").delete()  # the institute is now to be hidden
    ListedIdentifier.objects.create(
        study=study,
        kind="deny",
        text="Corvina Institute",
        digest=review.digest("Corvina Institute"),
        category="place",
        replacement="[training institute]",
        added_by=lead,
    )
    client = client_for(lead)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("transcript-search-all", args=[study.slug])).status_code == 302
    job = SearchJob.objects.get()
    assert (job.status, job.total, job.done, job.found) == ("done", 2, 2, 2)
    assert by_text(first, "Corvina Institute").replacement == "[training institute]"
    assert by_text(second, "Corvina Institute").status == CandidateStatus.PENDING
    progress = client.get(
        reverse("transcript-search-progress", args=[study.slug]), headers={"HX-Request": "true"}
    )
    assert progress.status_code == 286 and "2 of 2 transcripts" in progress.text
    assert (
        client_for(type(lead).objects.get(username="coder_a"))
        .post(reverse("transcript-search-all", args=[study.slug]))
        .status_code
        == 403
    )


def recogniser(text):
    """A stand-in named-entity recogniser for the setting's test."""
    at = text.find("How did it start")
    return [(at, at + 3, "ORG")] if at >= 0 else []


def test_an_optional_recogniser_is_used_when_configured(settings, study, imported):
    settings.ANONYMISATION_NER = "transcripts.tests.test_review.recogniser"
    transcript = imported()
    assert by_text(transcript, "How").reason == "named-entity recogniser"
