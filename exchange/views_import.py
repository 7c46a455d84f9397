"""Importing a REFI-QDA project: the upload form, and what the import did, on one page."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from exchange.forms_import import QdpxImportForm
from exchange.qdpx.importer import qdpx_import
from studies.access import study_access
from studies.models import Role

PAGE = "exchange/import.html"


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def qdpx_import_page(request: HttpRequest, study: str) -> HttpResponse:
    """Leads and custodians import a .qdpx as a new source project of this study, or into a new
    study they become custodian of. The report of what was read and decided (offsets per source,
    speakers, coders, everything left out) exists only now, so a successful import answers with
    it rather than a redirect; posting the same file again is refused (its texts are already in
    the study), so a reload imports nothing twice."""
    study, member = study_access(request, study, Role.LEAD)
    bound = request.method == "POST"
    form = QdpxImportForm(request.POST if bound else None, request.FILES if bound else None)
    result = None
    if bound and form.is_valid():
        new_study = form.new_study()
        try:
            result = qdpx_import(
                content=form.cleaned_data["file"].read(),
                user=request.user,
                member=None if new_study is not None else member,
                new_study=new_study,
                source_project_name=form.cleaned_data["source_project"],
                match_accounts=form.cleaned_data["match_accounts"],
                filename=form.cleaned_data["file"].name,
                request=request,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            form = QdpxImportForm()
    template = f"{PAGE}#panel" if request.htmx else PAGE
    return render(
        request,
        template,
        {"study": study, "form": form, "result": result},
        status=422 if bound and result is None else 200,
    )
