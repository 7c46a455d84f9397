"""The import pipeline: upload → job → parse (a task) → speaker mapping → transcript, text and turns
stored in one transaction. Tasks call `job_process`; views and the command call the rest."""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from studies.audit import Action, audit
from studies.models import Interview, Membership, Participant, SourceProject, Study
from transcripts import review
from transcripts.importers.base import ImportRefused, Parsed, Turn
from transcripts.importers.files import MAX_UPLOAD_BYTES
from transcripts.importers.reading import read_transcript
from transcripts.models import (
    FINISHED,
    PENDING,
    ImportJob,
    JobStatus,
    Speaker,
    Transcript,
    TranscriptVersion,
)
from transcripts.models import Turn as StoredTurn

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
INTERVIEWER, DROP = "interviewer", "drop"
INTERVIEWER_LABELS = {"interviewer", "i", "int", "researcher", "q", "interviewer 1"}
INTERVIEWEE_LABELS = {"r", "respondent", "participant", "interviewee", "a", "p"}


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def upload_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "uploads" / job.stored_name


# Uploading ---------------------------------------------------------------------------------------


@transaction.atomic
def jobs_create(
    *,
    member: Membership,
    uploads: list[Upload],
    participant: Participant | None = None,
    source_project: SourceProject | None = None,
    speaker_map: dict[str, str] | None = None,
    request: HttpRequest | None = None,
    user=None,
    queue_jobs: bool = True,
) -> list[ImportJob]:
    """A job per file, queued for parsing once this transaction commits (unless the caller runs
    them itself). A file already imported into the study, or already on its way, is a duplicate;
    one over the size limit fails at once."""
    study = member.study
    jobs = []
    for upload in uploads:
        sha256 = hashlib.sha256(upload.data).hexdigest()
        job = ImportJob(
            study=study,
            uploaded_by=user or request.user,
            filename=upload.name[:255],
            size=len(upload.data),
            sha256=sha256,
            participant=participant,
            source_project=source_project,
            speaker_map=json.dumps(speaker_map or {}),
        )
        if len(upload.data) > MAX_UPLOAD_BYTES:
            job.status, job.error = (
                JobStatus.FAILED,
                f"the file is over the {MAX_UPLOAD_BYTES // 2**20} MiB limit",
            )
        elif _already_here(study, sha256) or any(other.sha256 == sha256 for other in jobs):
            job.status, job.progress = JobStatus.DUPLICATE, 100
            job.error = "the same file is already in this study"
        else:
            job.stored_name = job.uuid.hex
            path = upload_path(job)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(upload.data)
            path.chmod(0o600)
            if queue_jobs:
                transaction.on_commit(lambda job=job: queue(job.pk))
        job.save()
        jobs.append(job)
    audit(
        Action.UPLOAD,
        request=request,
        actor=user,
        study=study,
        details={"files": len(jobs), "queued": sum(job.status == JobStatus.QUEUED for job in jobs)},
    )
    return jobs


def _already_here(study: Study, sha256: str) -> bool:
    return (
        Transcript.objects.filter(study=study, sha256=sha256).exists()
        or ImportJob.objects.filter(
            study=study, sha256=sha256, status__in=[*PENDING, JobStatus.MAPPING]
        ).exists()
    )


def queue(job_pk: int) -> None:
    """Send the job to a worker (or run it here on the embedded default). If the broker is down
    the job stays queued and `jobs_requeue_stale` sends it later."""
    from transcripts.tasks import process_upload

    try:
        process_upload.delay(job_pk)
    except Exception as error:  # kombu and redis raise several kinds when the broker is away
        if process_upload.app.conf.task_always_eager:
            raise
        logger.warning("import job %s stays queued: the broker did not take it (%s)", job_pk, error)


def jobs_requeue_stale(*, older_than_seconds: int = 120) -> int:
    """Queue again the jobs that have waited too long: the broker was down, or a worker died."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    stale = list(
        ImportJob.objects.filter(status__in=PENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        queue(pk)
    return len(stale)


# Parsing (the task) ------------------------------------------------------------------------------


def job_process(job_pk: int) -> None:
    """Claim the job, read its file, and store the transcript if every speaker is already known;
    otherwise leave it awaiting speaker mapping. Safe to run twice: only one run claims it."""
    claimed = ImportJob.objects.filter(
        pk=job_pk, status__in=PENDING, attempts__lt=MAX_ATTEMPTS
    ).update(
        status=JobStatus.PARSING, attempts=F("attempts") + 1, progress=10, updated_at=timezone.now()
    )
    if not claimed:
        ImportJob.objects.filter(pk=job_pk, status__in=PENDING).update(
            status=JobStatus.FAILED,
            error=f"gave up after {MAX_ATTEMPTS} attempts: reading this file stopped the worker each time",
            updated_at=timezone.now(),
        )
        return
    job = ImportJob.objects.select_related("study", "participant").get(pk=job_pk)
    try:
        data = upload_path(job).read_bytes()
        parsed = read_transcript(
            data, job.filename, speaker_pattern=job.study.speaker_pattern or None
        )
    except ImportRefused as error:
        _fail(job, str(error))
        return
    except FileNotFoundError:
        _fail(job, "the uploaded file is gone from the server's storage")
        return
    ImportJob.objects.filter(pk=job_pk, status=JobStatus.PARSING).update(
        progress=60, updated_at=timezone.now()
    )
    mapping = suggest_mapping(job, parsed)
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("study", "participant")
            .get(pk=job_pk)
        )
        if job.status != JobStatus.PARSING:
            return  # another run finished it
        job.format = parsed.format
        if all(mapping.get(speaker) for speaker in parsed.speakers) and _has_participant(mapping):
            _store(job, parsed, mapping)
        else:
            job.parsed = json.dumps(_to_json(parsed))
            job.status, job.progress, job.updated_at = JobStatus.MAPPING, 70, timezone.now()
            job.save(update_fields=["format", "parsed", "status", "progress", "updated_at"])


def job_fail(job_pk: int, reason: str) -> None:
    _fail(ImportJob.objects.get(pk=job_pk), reason)


def _fail(job: ImportJob, reason: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=reason, progress=100, updated_at=timezone.now()
    )
    _discard_file(job)


def _discard_file(job: ImportJob) -> None:
    if job.stored_name:
        upload_path(job).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(stored_name="")


def _to_json(parsed: Parsed) -> dict:
    return {
        "format": parsed.format,
        "turns": [asdict(turn) for turn in parsed.turns],
        "warnings": parsed.warnings,
    }


def parsed_of(job: ImportJob) -> Parsed:
    data = json.loads(job.parsed)
    return Parsed(
        format=data["format"],
        turns=[Turn(**turn) for turn in data["turns"]],
        warnings=data["warnings"],
    )


# Speaker mapping ---------------------------------------------------------------------------------


def suggest_mapping(job: ImportJob, parsed: Parsed) -> dict[str, str]:
    """What each speaker label most likely is: "interviewer", "drop", a participant's UUID, or ""
    when a person must decide. A map given with the upload wins."""
    pseudonyms = {
        p.pseudonym.lower(): str(p.uuid)
        for p in Participant.objects.filter(study=job.study, withdrawn_at=None)
    }
    given = {
        label.strip().lower(): value.strip()
        for label, value in json.loads(job.speaker_map or "{}").items()
    }
    mapping = {}
    for speaker in parsed.speakers:
        label = speaker.strip().lower()
        value = given.get(label, "")
        if value:
            mapping[speaker] = _target(value, pseudonyms)
        elif label in pseudonyms:
            mapping[speaker] = pseudonyms[label]
        elif label in INTERVIEWER_LABELS:
            mapping[speaker] = INTERVIEWER
        elif label in INTERVIEWEE_LABELS and job.participant_id:
            mapping[speaker] = str(job.participant.uuid)
        else:
            mapping[speaker] = ""
    unknown = [speaker for speaker, value in mapping.items() if not value]
    if len(unknown) == 1 and job.participant_id and not _has_participant(mapping):
        mapping[unknown[0]] = str(job.participant.uuid)  # the one other voice is the interviewee
    return mapping


def _target(value: str, pseudonyms: dict[str, str]) -> str:
    lowered = value.lower()
    if lowered in {INTERVIEWER, DROP}:
        return lowered
    return pseudonyms.get(lowered, "")


def _has_participant(mapping: dict[str, str]) -> bool:
    return any(value not in {"", INTERVIEWER, DROP} for value in mapping.values())


@transaction.atomic
def job_map(
    *,
    member: Membership,
    job: ImportJob,
    mapping: dict[str, str],
    request: HttpRequest | None = None,
) -> Transcript:
    """Store the transcript with its speakers as a person mapped them."""
    job = (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("study", "participant")
        .get(pk=job.pk)
    )
    if job.study_id != member.study_id:
        raise ValidationError("This import belongs to another study.")
    if job.status != JobStatus.MAPPING:
        raise ValidationError(
            f"This import is {job.get_status_display().lower()}, not awaiting speaker mapping."
        )
    parsed = parsed_of(job)
    missing = [speaker or "(no name)" for speaker in parsed.speakers if not mapping.get(speaker)]
    if missing:
        raise ValidationError(f"Choose who is speaking for: {', '.join(missing)}.")
    if not _has_participant(mapping):
        raise ValidationError("Map at least one speaker to a participant.")
    return _store(job, parsed, mapping)


def _store(job: ImportJob, parsed: Parsed, mapping: dict[str, str]) -> Transcript:
    """The transcript, its first version's text and its turns; the job marked imported. Runs
    inside the caller's transaction, with the job row locked."""
    participants = {str(p.uuid): p for p in Participant.objects.filter(study=job.study)}
    unknown = {
        value
        for value in mapping.values()
        if value not in {INTERVIEWER, DROP} and value not in participants
    }
    if unknown:
        raise ValidationError("A speaker is mapped to a participant who is not in this study.")
    merged: list[list] = []  # [speaker kind, participant, texts, start, end]
    for turn in parsed.turns:
        target = mapping[turn.speaker]
        if target == DROP or not turn.text.strip():
            continue
        participant = None if target == INTERVIEWER else participants[target]
        kind = Speaker.INTERVIEWER if participant is None else Speaker.PARTICIPANT
        if merged and merged[-1][0] == kind and merged[-1][1] == participant:
            merged[-1][2].append(turn.text.strip())
            merged[-1][4] = turn.end if turn.end is not None else merged[-1][4]
        else:
            merged.append([kind, participant, [turn.text.strip()], turn.start, turn.end])
    if not merged:
        raise ValidationError("Every speaker was dropped: nothing is left to import.")
    interviewee = job.participant or next(entry[1] for entry in merged if entry[1] is not None)
    earlier = Transcript.objects.filter(study=job.study, participant=interviewee).count()
    try:
        with transaction.atomic():
            transcript = Transcript.objects.create(
                study=job.study,
                participant=interviewee,
                source_project=job.source_project or interviewee.source_project,
                title=f"Interview with {interviewee.pseudonym}"
                + (f" ({earlier + 1})" if earlier else ""),
                format=parsed.format,
                sha256=job.sha256,
                imported_by=job.uploaded_by,
                interview=_interview_of(interviewee),
            )
    except IntegrityError:  # transcripts_transcript_file_once_per_study
        job.status, job.progress, job.parsed, job.updated_at = (
            JobStatus.DUPLICATE,
            100,
            "",
            timezone.now(),
        )
        job.error = "the same file is already in this study"
        job.save(update_fields=["status", "progress", "parsed", "error", "updated_at"])
        transaction.on_commit(lambda: _discard_file(job))
        return Transcript.objects.get(study=job.study, sha256=job.sha256)
    texts = ["\n".join(entry[2]) for entry in merged]
    version = TranscriptVersion.objects.create(
        transcript=transcript, number=1, text="\n\n".join(texts)
    )
    rows, offset = [], 0
    for position, (entry, text) in enumerate(zip(merged, texts, strict=True), start=1):
        kind, participant, _texts, started_at, ended_at = entry
        participant_id = participant.pk if participant else None
        rows.append(
            (
                version.pk,
                position,
                kind,
                participant_id,
                offset,
                offset + len(text),
                started_at,
                ended_at,
            )
        )
        offset += len(text) + 2
    _insert_turns(rows)
    review.transcript_detect(transcript=transcript)
    job.status, job.progress, job.transcript, job.parsed = JobStatus.IMPORTED, 100, transcript, ""
    job.updated_at = timezone.now()
    job.save(update_fields=["format", "status", "progress", "transcript", "parsed", "updated_at"])
    audit(
        Action.TRANSCRIPT_IMPORT,
        actor=job.uploaded_by,
        study=job.study,
        target=transcript,
        details={
            "format": parsed.format,
            "turns": len(rows),
            "participant": interviewee.pseudonym,
        },
    )
    if not job.study.keep_uploaded_files:
        transaction.on_commit(lambda: _discard_file(job))
    return transcript


def _interview_of(participant: Participant) -> Interview | None:
    """The participant's earliest interview that no transcript claims yet: its audio is what the
    transcript is verified against."""
    return (
        Interview.objects.filter(participant=participant, transcripts__isnull=True)
        .order_by("held_on", "id")
        .first()
    )


TURN_COLUMNS = (
    "version_id",
    "position",
    "speaker",
    "participant_id",
    "start",
    "end",
    "started_at",
    "ended_at",
)


def _insert_turns(rows: list[tuple]) -> None:
    """Many turns in one statement batch. An hour's interview has hundreds of turns; building a
    model instance for each is most of the import's time (make bench), and these are plain values."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in TURN_COLUMNS)
    placeholders = ", ".join(["%s"] * len(TURN_COLUMNS))
    sql = f"INSERT INTO {quote(StoredTurn._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def job_is_finished(job: ImportJob) -> bool:
    return job.status in FINISHED
