"""Code-and-retrieve: every extract of a code across the study, in context, filtered by
participant, participant attribute, source project or coder, fifty to a page."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.vary import vary_on_headers

from coding.models import Code, Memo
from coding.retrieve import RetrieveFilters, code_extracts, in_context
from studies.access import study_access
from studies.models import AttributeDefinition, Participant, SourceProject, Study

PAGE = "coding/retrieve.html"
PAGE_SIZE = 50


class StudyChoiceField(forms.ModelChoiceField):
    """A choice among the study's objects by UUID: a malformed one is just not a choice."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class QuickSelect(forms.Select):
    """A select whose options are written in Python, not through one template each: with a
    study's hundreds of participants the template-built list took about 50 ms (make bench,
    retrieval at ten times the study)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


class RetrieveFilterForm(forms.Form):
    participant = StudyChoiceField(
        queryset=Participant.objects.none(),
        to_field_name="uuid",
        widget=QuickSelect,
        required=False,
        empty_label="All participants",
        error_messages={"invalid_choice": "There is no such participant in this study."},
    )
    attribute = StudyChoiceField(
        queryset=AttributeDefinition.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="Any attribute",
        label="Participant attribute",
        error_messages={"invalid_choice": "There is no such attribute in this study."},
    )
    value = forms.CharField(required=False, max_length=200, label="Attribute value")
    source = StudyChoiceField(
        queryset=SourceProject.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="All source projects",
        label="Source project",
        error_messages={"invalid_choice": "There is no such source project in this study."},
    )
    coder = StudyChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        empty_label="All coders",
        error_messages={"invalid_choice": "There is no such coder in this study."},
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(study=study)
        self.fields["attribute"].queryset = AttributeDefinition.objects.filter(study=study)
        self.fields["source"].queryset = SourceProject.objects.filter(study=study)
        # Former members too: their codings stay in the study.
        self.fields["coder"].queryset = (
            get_user_model().objects.filter(memberships__study=study).order_by("username")
        )
        self.fields["coder"].label_from_instance = lambda user: user.get_username()

    def clean(self):
        data = super().clean()
        attribute, value = data.get("attribute"), data.get("value", "")
        if attribute is None and value and not self.has_error("attribute"):
            self.add_error("value", "Choose the attribute this value is of.")
        elif attribute is not None:
            if not value:
                self.add_error("value", f"Give the value of {attribute.name} to look for.")
            else:
                try:
                    data["value"] = attribute.clean_value(value)
                except ValidationError as error:
                    self.add_error("value", error)
        return data

    def filters(self) -> RetrieveFilters:
        data = self.cleaned_data
        return RetrieveFilters(
            participant=data["participant"],
            attribute=data["attribute"],
            value=data["value"],
            source_project=data["source"],
            coder=data["coder"],
        )


@vary_on_headers("HX-Request", "HX-Target")
def retrieve(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member = study_access(request, study)
    code = get_object_or_404(
        Code.objects.visible_to(member).select_related("created_by"), uuid=code
    )
    form = RetrieveFilterForm(request.GET or None, study=study)
    # An unbound form (no filters) is not valid: it shows everything.
    if form.is_bound and not form.is_valid():
        page, status = None, 422
    else:
        filters = form.filters() if form.is_bound else RetrieveFilters()
        codings = code_extracts(member=member, code=code, filters=filters)
        page = Paginator(codings.values_list("pk", flat=True), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = in_context(member=member, codings=page.object_list)
        prefetch_related_objects(
            page.object_list,
            Prefetch(
                "memos",
                queryset=Memo.objects.visible_to(member).select_related("author"),
                to_attr="visible_memos",
            ),
        )
        status = 200
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "study": study,
        "member": member,
        "code": code,
        "code_memos": Memo.objects.visible_to(member).filter(code=code).select_related("author"),
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": page is not None and form.is_bound and any(form.cleaned_data.values()),
    }
    # The pager swaps the extracts only; the filters swap themselves and the extracts.
    template = PAGE
    if request.htmx:
        template += "#extracts" if request.htmx.target == "extracts" else "#results"
    return render(request, template, context, status=status)
