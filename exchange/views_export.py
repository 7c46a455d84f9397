"""The exchange page and the REFI-QDA downloads: the study as a .qdpx project and its codebook as
a .qdc, each as the member may see it (the blind rule applies) and each audited."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from coding.codebook import member_is_blinded
from coding.models import Code
from exchange.qdpx.export import NOT_EXPORTED, Export, InvalidExport, export_codebook, export_study
from studies.access import study_access
from studies.models import Membership, Study
from transcripts.models import Transcript, TranscriptState


def _home(
    request: HttpRequest, study: Study, member: Membership, *, error: str = "", status: int = 200
) -> HttpResponse:
    transcripts = list(Transcript.objects.filter(study=study).values_list("title", "state"))
    return render(
        request,
        "exchange/home.html",
        {
            "study": study,
            "member": member,
            "locked": sum(state == TranscriptState.LOCKED for _title, state in transcripts),
            "not_locked": [
                title for title, state in transcripts if state != TranscriptState.LOCKED
            ],
            "codes": Code.objects.visible_to(member).filter(retired_at__isnull=True).count(),
            "blinded": member_is_blinded(member),
            "not_exported": NOT_EXPORTED,
            "error": error,
        },
        status=status,
    )


def _attachment(export: Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.media_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def home(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _home(request, study, member)


@require_safe
def qdpx_export(request: HttpRequest, study: str) -> HttpResponse:
    """The study as a REFI-QDA project; a project that would not be valid is refused (409, the
    page with the reason) and nothing is downloaded."""
    study, member = study_access(request, study)
    try:
        export = export_study(member, request=request)
    except InvalidExport as error:
        return _home(request, study, member, error=str(error), status=409)
    return _attachment(export)


@require_safe
def qdc_export(request: HttpRequest, study: str) -> HttpResponse:
    """The live codebook as a REFI-QDA .qdc; with no code to export, the page says so (409)."""
    study, member = study_access(request, study)
    try:
        export = export_codebook(member, request=request)
    except InvalidExport as error:
        return _home(request, study, member, error=str(error), status=409)
    return _attachment(export)
