"""Transcripts and their import: upload, follow the jobs, map speakers."""

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from studies.access import study_access
from studies.audit import Action, audit
from studies.models import Role, SourceProject
from studies.second_factor import second_factor_required
from transcripts import services
from transcripts.forms import SpeakerMappingForm, UploadForm
from transcripts.models import PENDING, ImportJob, JobStatus, Transcript, TranscriptVersion, Turn

JOBS_SHOWN = 50
PREVIEW_TURNS = 12


def transcript_list(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    # The turns of each transcript's current version (earlier versions keep theirs).
    latest_version = (
        TranscriptVersion.objects.filter(transcript=OuterRef("pk"))
        .order_by("-number")
        .values("pk")[:1]
    )
    turns_of_version = (
        Turn.objects.filter(version=OuterRef("latest_version"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    transcripts = (
        Transcript.objects.filter(study=study)
        .select_related("participant", "source_project")
        .annotate(latest_version=Subquery(latest_version))
        .annotate(turn_count=Coalesce(Subquery(turns_of_version), 0))
        .order_by("participant__created_at", "imported_at")
    )
    source_project = None
    if source := request.GET.get("source"):
        source_project = get_object_or_404(SourceProject, study=study, uuid=source)
        transcripts = transcripts.filter(source_project=source_project)
    return render(
        request,
        "transcripts/list.html",
        {
            "study": study,
            "transcripts": transcripts,
            "source_projects": SourceProject.objects.filter(study=study),
            "source_project": source_project,
        },
    )


def _jobs(study) -> dict:
    jobs = list(
        ImportJob.objects.filter(study=study)
        .select_related("uploaded_by", "transcript")
        .defer("parsed", "speaker_map")[:JOBS_SHOWN]
    )
    return {"jobs": jobs, "polling": any(job.is_pending for job in jobs)}


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    bound = request.method == "POST"
    form = UploadForm(
        request.POST if bound else None, request.FILES if bound else None, study=study
    )
    if bound and form.is_valid():
        uploads = [
            services.Upload(name=file.name, data=file.read()) for file in form.cleaned_data["files"]
        ]
        jobs = services.jobs_create(
            member=member,
            uploads=uploads,
            participant=form.cleaned_data["participant"],
            source_project=form.cleaned_data["source_project"],
            speaker_map=form.cleaned_data["speaker_map"],
            request=request,
        )
        messages.success(request, f"{len(jobs)} file{'s' if len(jobs) != 1 else ''} received.")
        return redirect("transcript-import", study=study.slug)
    return render(
        request,
        "transcripts/import.html",
        {"study": study, "form": form, **_jobs(study)},
        status=422 if form.is_bound else 200,
    )


def import_jobs(request: HttpRequest, study: str) -> HttpResponse:
    """The jobs table, polled by the import page while any job is still being read."""
    study, member = study_access(request, study, Role.LEAD)
    jobs = _jobs(study)
    response = render(request, "transcripts/import.html#jobs", {"study": study, **jobs})
    if not jobs["polling"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, study: str, job: str) -> HttpResponse:
    """What was read from one file, and the mapping of its speakers."""
    study, member = study_access(request, study, Role.LEAD)
    job = get_object_or_404(
        ImportJob.objects.select_related("participant", "transcript"), study=study, uuid=job
    )
    if job.status != JobStatus.MAPPING:
        return render(request, "transcripts/job.html", {"study": study, "job": job})
    parsed = services.parsed_of(job)
    form = SpeakerMappingForm(
        request.POST or None,
        study=study,
        speakers=parsed.speakers,
        suggested=services.suggest_mapping(job, parsed),
    )
    if request.method == "POST" and form.is_valid():
        try:
            transcript = services.job_map(
                member=member, job=job, mapping=form.mapping(), request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Imported “{transcript.title}”.")
            return redirect("transcript-list", study=study.slug)
    counts = {speaker: 0 for speaker in parsed.speakers}
    for turn in parsed.turns:
        counts[turn.speaker] += 1
    return render(
        request,
        "transcripts/job.html",
        {
            "study": study,
            "job": job,
            "parsed": parsed,
            "form": form,
            "rows": [
                (form[f"speaker_{index}"], counts[speaker])
                for index, speaker in enumerate(parsed.speakers)
            ],
            "preview": parsed.turns[:PREVIEW_TURNS],
        },
        status=422 if form.is_bound else 200,
    )


def upload_file(request: HttpRequest, study: str, job: str) -> FileResponse:
    """A kept upload, as it arrived: custodians only (it may carry names), after the second
    factor, and audited."""
    study, member = study_access(request, study, Role.CUSTODIAN, hidden=True)
    if response := second_factor_required(request):
        return response
    job = get_object_or_404(ImportJob, study=study, uuid=job)
    path = services.upload_path(job) if job.stored_name else None
    if path is None or not path.exists() or job.status in PENDING:
        raise Http404("This upload's file is not kept.")
    audit(
        Action.VAULT_READ,
        request=request,
        study=study,
        target=job,
        details={"page": "uploaded file"},
    )
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"upload-{job.uuid.hex[:8]}{Path(job.filename).suffix}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
