"""Uploading, following and mapping imports in the browser's requests; the command line."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from studies.models import AuditEvent
from studies.tests.factories import make_participant
from transcripts.models import ImportJob, JobStatus, Transcript, TranscriptVersion, Turn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

VERBATIM = "\n".join(
    [
        "Interview with P1",
        "",
        "Interviewer: How did you come to this work?",
        "P1: Slowly, and then all at once [laughs]. Café work first, then training.",
        "Interviewer: And now?",
        "P1: Now I mostly see adults, online.",
        "It took a while to trust the screen.",
    ]
).encode()

TEAMS_VTT = "\n".join(
    [
        "WEBVTT",
        "",
        "0b0f6c52-6e27-4a33-9b56-0b1b6c1f6a51/12-0",
        "00:00:01.000 --> 00:00:04.000",
        "<v Morwenna Trelawny>So, tell me about your first session.</v>",
        "",
        "0b0f6c52-6e27-4a33-9b56-0b1b6c1f6a51/13-0",
        "00:00:04.500 --> 00:00:09.000",
        "<v Jago Penhallow>I was nervous, honestly.</v>",
        "",
        "0b0f6c52-6e27-4a33-9b56-0b1b6c1f6a51/14-0",
        "00:00:09.000 --> 00:00:12.000",
        "<v Jago Penhallow>But it passed.</v>",
        "",
    ]
).encode()


@pytest.fixture
def p1(study):
    return make_participant(study, "P1")


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Post files to the import page; the jobs queued on commit run (in-process, as on the
    embedded default)."""

    def post(client, study, *files, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("transcript-import", args=[study.slug]),
                {"files": [SimpleUploadedFile(name, content) for name, content in files], **data},
            )

    return post


def test_a_typed_transcript_with_pseudonyms_is_imported_at_once(
    client_for, study, lead, p1, settings, tmp_path, upload
):
    settings.MEDIA_ROOT = tmp_path
    response = upload(client_for(lead), study, ("p1.txt", VERBATIM))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.format, job.progress) == (JobStatus.IMPORTED, "verbatim", 100)
    transcript = Transcript.objects.get()
    version = transcript.versions.get()
    turns = list(version.turns.order_by("position"))
    assert [(turn.speaker, turn.participant) for turn in turns] == [
        ("interviewer", None),
        ("participant", p1),
        ("interviewer", None),
        ("participant", p1),
    ]
    assert version.text[turns[1].start : turns[1].end].startswith(
        "Slowly, and then all at once [laughs]. Café"
    )
    assert (
        version.text[turns[3].start : turns[3].end]
        == "Now I mostly see adults, online.\nIt took a while to trust the screen."
    )
    assert job.parsed == "" and not list(
        (tmp_path / "uploads").iterdir()
    )  # the file is gone once stored
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TRANSCRIPT_IMPORT).exists()


def test_display_names_are_mapped_and_never_stored(client_for, study, lead, p1, upload):
    client = client_for(lead)
    upload(client, study, ("meeting.vtt", TEAMS_VTT))
    job = ImportJob.objects.get()
    assert job.status == JobStatus.MAPPING
    page = client.get(reverse("transcript-import-job", args=[study.slug, job.uuid]))
    assert "Morwenna Trelawny" in page.text and "Jago Penhallow" in page.text
    response = client.post(
        reverse("transcript-import-job", args=[study.slug, job.uuid]),
        {"speaker_0": "interviewer", "speaker_1": str(p1.uuid)},
    )
    assert response.status_code == 302
    version = TranscriptVersion.objects.get()
    turns = list(version.turns.order_by("position"))
    assert len(turns) == 2  # the two cues of one speaker are one turn
    assert (turns[1].started_at, turns[1].ended_at) == (4.5, 12.0)
    assert version.text[turns[1].start : turns[1].end] == "I was nervous, honestly. But it passed."
    for model in (Transcript, TranscriptVersion, Turn):
        assert "Trelawny" not in str(list(model.objects.values()))
    assert "Penhallow" not in str(list(AuditEvent.objects.values()))


def test_the_same_file_twice_is_a_duplicate(client_for, study, lead, p1, upload):
    client = client_for(lead)
    upload(client, study, ("p1.txt", VERBATIM))
    upload(client, study, ("copy of p1.txt", VERBATIM))
    assert list(ImportJob.objects.order_by("id").values_list("status", flat=True)) == [
        "imported",
        "duplicate",
    ]
    assert Transcript.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("notes.txt", b"Milk, eggs, bread.\nRemember the dentist.\n", "tried"),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        ("fake.docx", b"Interviewer: hello\nP1: hi\n", ".docx"),
    ],
)
def test_a_bad_file_fails_with_its_reason_and_stores_nothing(
    client_for, study, lead, p1, name, content, reason, settings, tmp_path, upload
):
    settings.MEDIA_ROOT = tmp_path
    upload(client_for(lead), study, (name, content))
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert reason in job.error
    assert not Transcript.objects.exists()
    assert not list(tmp_path.glob("uploads/*"))


def test_one_bad_file_does_not_stop_the_batch(client_for, study, lead, p1, upload):
    upload(client_for(lead), study, ("empty.txt", b""), ("p1.txt", VERBATIM))
    assert sorted(ImportJob.objects.values_list("status", flat=True)) == ["failed", "imported"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"speaker_0": "interviewer"}, "This field is required."),
        (
            {"speaker_0": "interviewer", "speaker_1": "interviewer"},
            "Map at least one speaker to a participant.",
        ),
        ({"speaker_0": "drop", "speaker_1": "drop"}, "Map at least one speaker to a participant."),
        (
            {"speaker_0": "interviewer", "speaker_1": "00000000-0000-0000-0000-000000000000"},
            "Select a valid choice.",
        ),
    ],
)
def test_bad_mapping_is_explained_and_nothing_stored(
    client_for, study, lead, p1, data, message, upload
):
    client = client_for(lead)
    upload(client, study, ("meeting.vtt", TEAMS_VTT))
    job = ImportJob.objects.get()
    response = client.post(reverse("transcript-import-job", args=[study.slug, job.uuid]), data)
    assert response.status_code == 422
    assert message in response.text
    assert not Transcript.objects.exists()
    assert ImportJob.objects.get().status == JobStatus.MAPPING


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_coders_and_viewers_cannot_import(client_for, study, personas, persona, p1, upload):
    client = client_for(personas[persona])
    assert client.get(reverse("transcript-import", args=[study.slug])).status_code == 403
    assert upload(client, study, ("p1.txt", VERBATIM)).status_code == 403
    assert not ImportJob.objects.exists()


def test_outsider_gets_404(client_for, study, outsider, p1, upload):
    assert upload(client_for(outsider), study, ("p1.txt", VERBATIM)).status_code == 404
    assert not ImportJob.objects.exists()


def test_no_file_is_a_form_error(client_for, study, lead):
    response = client_for(lead).post(reverse("transcript-import", args=[study.slug]), {})
    assert response.status_code == 422
    assert "Choose one or more transcript files." in response.text


def test_the_jobs_region_polls_while_a_job_is_pending(
    client_for, study, lead, django_assert_max_num_queries
):
    client = client_for(lead)
    url = reverse("transcript-import-jobs", args=[study.slug])
    ImportJob.objects.create(
        study=study, uploaded_by=lead, filename="x.txt", size=1, sha256="0" * 64
    )
    client.get(reverse("study-list"))
    with django_assert_max_num_queries(6):
        pending = client.get(url, headers={"HX-Request": "true"})
    assert pending.status_code == 200 and 'hx-trigger="every 1s"' in pending.text
    ImportJob.objects.update(status=JobStatus.FAILED)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286 and "hx-trigger" not in done.text


def test_the_transcript_list_filters_by_source_project(
    client_for, study, viewer, lead, p1, django_assert_max_num_queries, upload
):
    upload(client_for(lead), study, ("p1.txt", VERBATIM))
    client = client_for(viewer)
    client.get(reverse("study-list"))
    with django_assert_max_num_queries(8):
        text = client.get(reverse("transcript-list", args=[study.slug])).text
    assert "Interview with P1" in text
    other = study.source_projects.create(name="Other project")
    filtered = client.get(
        reverse("transcript-list", args=[study.slug]), {"source": str(other.uuid)}
    ).text
    assert "Interview with P1" not in filtered


class TestCommand:
    def run(self, *args):
        out = io.StringIO()
        try:
            call_command("import_transcripts", *args, stdout=out)
            code = 0
        except SystemExit as exit:
            code = exit.code
        return code, out.getvalue()

    def test_imports_with_a_speaker_map_and_reports_json(self, study, p1, tmp_path):
        path = tmp_path / "meeting.vtt"
        path.write_bytes(TEAMS_VTT)
        code, out = self.run(
            study.slug,
            str(path),
            "--speaker-map",
            "Morwenna Trelawny=Interviewer; Jago Penhallow=P1",
            "--json",
        )
        assert code == 0
        result = json.loads(out)
        assert (result["status"], result["format"], result["turns"]) == ("imported", "teams_vtt", 2)
        assert result["speakers"] == ["Interviewer", "P1"]

    def test_participant_names_the_other_voice(self, study, p1, tmp_path):
        path = tmp_path / "meeting.vtt"
        path.write_bytes(TEAMS_VTT)
        code, out = self.run(
            study.slug,
            str(path),
            "--participant",
            "P1",
            "--speaker-map",
            "Morwenna Trelawny=Interviewer",
            "--json",
        )
        assert code == 0 and json.loads(out)["status"] == "imported"

    def test_unknown_speakers_and_bad_files_fail_with_exit_code_1(self, study, p1, tmp_path):
        (tmp_path / "meeting.vtt").write_bytes(TEAMS_VTT)
        (tmp_path / "empty.txt").write_bytes(b"")
        code, out = self.run(
            study.slug,
            str(tmp_path / "meeting.vtt"),
            str(tmp_path / "empty.txt"),
            str(tmp_path / "nope.txt"),
            "--json",
        )
        assert code == 1
        results = {
            json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line)
            for line in out.splitlines()
        }
        assert {name: result["status"] for name, result in results.items()} == {
            "meeting.vtt": "failed",
            "empty.txt": "failed",
            "nope.txt": "failed",
        }
        assert "--speaker-map" in results["meeting.vtt"]["error"]
        assert results["nope.txt"]["error"] == "no such file"
        assert not Transcript.objects.exists()

    def test_a_second_run_reports_duplicates(self, study, p1, tmp_path):
        (tmp_path / "p1.txt").write_bytes(VERBATIM)
        self.run(study.slug, str(tmp_path / "p1.txt"))
        code, out = self.run(study.slug, str(tmp_path / "p1.txt"), "--json")
        assert code == 0 and json.loads(out)["status"] == "duplicate"
        assert Transcript.objects.count() == 1

    def test_bad_arguments_are_named(self, study):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="no study with the slug 'nope'"):
            call_command("import_transcripts", "nope", "x.txt")
        with pytest.raises(CommandError, match="no participant 'P9'"):
            call_command("import_transcripts", study.slug, "x.txt", "--participant", "P9")
        with pytest.raises(CommandError, match="--speaker-map"):
            call_command("import_transcripts", study.slug, "x.txt", "--speaker-map", "nonsense")


HOSTILE = {
    "zip bomb.docx": "zip_bomb",
    "oversize member.docx": "declared_member_oversize",
    "too many.docx": "too_many_members",
    "traversal.docx": "path_traversal",
    "encrypted member.docx": "encrypted_member",
    "macros.docx": "macro_enabled",
    "template.docx": "template",
    "vba.docx": "vba_project",
    "activex.docx": "activex",
    "ole.docx": "ole_embedding",
    "billion laughs.docx": "billion_laughs",
    "xxe.docx": "external_entity",
    "remote template.docx": "remote_template",
    "password.docx": "ole_compound_file",
    "scan.pdf": "pdf",
    "photo.txt": "png",
    "junk.txt": "binary_junk",
}


@pytest.mark.parametrize(("name", "maker"), HOSTILE.items())
def test_hostile_files_fail_with_a_reason_and_store_nothing(
    client_for, study, lead, p1, name, maker, settings, tmp_path, upload
):
    from transcripts.tests import hostile

    settings.MEDIA_ROOT = tmp_path
    upload(client_for(lead), study, (name, getattr(hostile, maker)()), ("p1.txt", VERBATIM))
    bad = ImportJob.objects.get(status=JobStatus.FAILED)
    assert len(bad.error) > 10 and "\n" not in bad.error
    assert ImportJob.objects.filter(status=JobStatus.IMPORTED).count() == 1  # the batch went on
    assert Transcript.objects.count() == 1
    assert not list(tmp_path.glob("uploads/*"))
    page = client_for(lead).get(reverse("transcript-import", args=[study.slug]))
    assert name in page.text and escape(bad.error) in page.text


def test_a_kept_upload_is_for_custodians_only(
    study, lead, p1, vault_client, upload, settings, tmp_path
):
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    study.keep_uploaded_files = True
    study.save()
    upload(vault_client, study, ("p1.txt", VERBATIM))
    job = ImportJob.objects.get()
    url = reverse("transcript-upload-file", args=[study.slug, job.uuid])
    lead_client = Client()
    lead_client.force_login(lead)
    assert lead_client.get(url).status_code == 404
    response = vault_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == VERBATIM
    assert response["Content-Disposition"].startswith('attachment; filename="upload-')
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VAULT_READ, details__page="uploaded file"
    ).exists()


def test_an_upload_that_is_not_kept_cannot_be_fetched(study, p1, vault_client, upload):
    upload(vault_client, study, ("p1.txt", VERBATIM))
    job = ImportJob.objects.get()
    assert job.stored_name == ""
    assert (
        vault_client.get(reverse("transcript-upload-file", args=[study.slug, job.uuid])).status_code
        == 404
    )
