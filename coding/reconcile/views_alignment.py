"""Aligning codes across coders: choose two coders, see the alignments confirmed for them and the
tool's suggestions, confirm a suggestion or any pair by hand, remove an alignment. Every member
reads (under the blind rule: a hidden layer is refused, never shown); coders and leads change."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from coding.models import Code, CodeAlignment
from coding.reconcile import align as services
from studies.access import study_access
from studies.models import Membership, Role, Study

PAGE = "coding/reconcile/alignment.html"
CHANGED = "alignments-changed"  # the htmx event other regions may listen for


def _members(study: Study):
    return get_user_model().objects.filter(
        memberships__in=Membership.objects.active().filter(study=study)
    )


def _coder_field(study: Study, label: str, *, required: bool) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=_members(study),
        to_field_name="username",
        label=label,
        required=required,
        error_messages={
            "required": f"Choose {label.lower()}.",
            "invalid_choice": "%(value)s is not a member of this study.",
        },
    )


class CodersForm(forms.Form):
    """The two coders whose codes are aligned (the page's GET form)."""

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["a"] = _coder_field(study, "Coder A", required=True)
        self.fields["b"] = _coder_field(study, "Coder B", required=True)


class CodeField(forms.ModelChoiceField):
    """A code by uuid: anything that is not the uuid of a code the member may see, a malformed
    uuid too, is refused with the field's own message."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class PairForm(forms.Form):
    """A code of coder A and a code of coder B, by uuid, among the codes the member may see; the
    coders (optional) say which page to come back to."""

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        codes = Code.objects.visible_to(member).select_related("created_by")
        for name, label in (("code_a", "Coder A's code"), ("code_b", "Coder B's code")):
            self.fields[name] = CodeField(
                queryset=codes,
                to_field_name="uuid",
                label=label,
                error_messages={
                    "required": f"Choose {label.lower()}.",
                    "invalid_choice": f"{label} is not a code you can see.",
                },
            )
        self.fields["a"] = _coder_field(member.study, "Coder A", required=False)
        self.fields["b"] = _coder_field(member.study, "Coder B", required=False)

    def coders(self) -> tuple:
        """The coders to show the page for: as sent, else the codes' creators."""
        data = self.cleaned_data
        if data.get("a") and data.get("b"):
            return data["a"], data["b"]
        return data["code_a"].created_by, data["code_b"].created_by


def _form_errors(form: forms.Form) -> list[str]:
    return [error for errors in form.errors.values() for error in errors]


def _page_url(study: Study, coder_a, coder_b) -> str:
    url = reverse("coding-alignment", args=[study.slug])
    if coder_a is None or coder_b is None:
        return url
    return f"{url}?{urlencode({'a': coder_a.get_username(), 'b': coder_b.get_username()})}"


def _context(
    study: Study, member: Membership, coder_a, coder_b, errors: list[str]
) -> dict[str, object]:
    # Only people whose codes the member may see are offered: a coder blind to another's layer
    # is not told that layer exists beyond what the rounds page says.
    with_codes = (
        _members(study)
        .filter(
            pk__in=Code.objects.visible_to(member)
            .filter(retired_at__isnull=True)
            .values("created_by")
        )
        .order_by("username")
    )
    context = {
        "study": study,
        "member": member,
        "may_align": member.has_role(Role.CODER),
        "coders": list(with_codes),
        "coder_a": coder_a,
        "coder_b": coder_b,
        "errors": list(errors),
        "shown": False,
    }
    if coder_a is None or coder_b is None:
        return context
    try:
        suggestions = services.alignment_suggestions(member, coder_a, coder_b)
    except ValidationError as error:
        context["errors"] += error.messages
        return context
    codes = list(
        Code.objects.visible_to(member).filter(
            created_by__in=[coder_a.pk, coder_b.pk], retired_at__isnull=True
        )
    )
    return context | {
        "shown": True,
        "suggestions": suggestions,
        "aligned": services.alignments_between(member, coder_a, coder_b),
        "codes_a": [code for code in codes if code.created_by_id == coder_a.pk],
        "codes_b": [code for code in codes if code.created_by_id == coder_b.pk],
    }


def _render(
    request: HttpRequest,
    study: Study,
    member: Membership,
    coder_a=None,
    coder_b=None,
    *,
    errors: list[str] = (),
    status: int = 200,
) -> HttpResponse:
    template = f"{PAGE}#alignment" if request.htmx else PAGE
    context = _context(study, member, coder_a, coder_b, list(errors))
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
def alignment_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    if not (request.GET.get("a") or request.GET.get("b")):
        return _render(request, study, member)
    form = CodersForm(request.GET, study=study)
    if not form.is_valid():
        return _render(request, study, member, errors=_form_errors(form))
    return _render(request, study, member, form.cleaned_data["a"], form.cleaned_data["b"])


def _done(request: HttpRequest, study: Study, member: Membership, coders, message: str, pair):
    """After a change: the region to htmx (with an event naming the two codes), a redirect to
    the page otherwise."""
    messages.success(request, message)
    if not request.htmx:
        return redirect(_page_url(study, *coders))
    response = _render(request, study, member, *coders)
    return trigger_client_event(response, CHANGED, {"codes": [str(c.uuid) for c in pair]})


def _refused(request: HttpRequest, study: Study, member: Membership, coders, errors: list[str]):
    return _render(request, study, member, *coders, errors=errors, status=422)


def _sent_coders(form: PairForm) -> tuple:
    """The coders a refused form came from, when it says (so the page stays on them)."""
    data = getattr(form, "cleaned_data", {})
    if data.get("a") and data.get("b"):
        return data["a"], data["b"]
    return None, None


@vary_on_headers("HX-Request")
@require_POST
def alignment_confirm(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    form = PairForm(request.POST, member=member)
    if not form.is_valid():
        return _refused(request, study, member, _sent_coders(form), _form_errors(form))
    code_a, code_b = form.cleaned_data["code_a"], form.cleaned_data["code_b"]
    coders = form.coders()
    try:
        services.alignment_confirm(member=member, code_a=code_a, code_b=code_b, request=request)
    except ValidationError as error:
        return _refused(request, study, member, coders, error.messages)
    message = f"Aligned “{code_a.label}” with “{code_b.label}”."
    return _done(request, study, member, coders, message, (code_a, code_b))


@vary_on_headers("HX-Request")
@require_POST
def alignment_remove(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    form = PairForm(request.POST, member=member)
    if not form.is_valid():
        return _refused(request, study, member, _sent_coders(form), _form_errors(form))
    code_a, code_b = form.cleaned_data["code_a"], form.cleaned_data["code_b"]
    coders = form.coders()
    low, high = sorted((code_a, code_b), key=lambda code: code.pk)
    pair = (
        CodeAlignment.objects.filter(study=study, code_a=low, code_b=high)
        .select_related("code_a__created_by", "code_b__created_by")
        .first()
    )
    if pair is None:
        error = f"“{code_a.label}” and “{code_b.label}” are not aligned."
        return _refused(request, study, member, coders, [error])
    try:
        services.alignment_remove(member=member, alignment=pair, request=request)
    except ValidationError as error:
        return _refused(request, study, member, coders, error.messages)
    message = f"“{code_a.label}” and “{code_b.label}” are no longer aligned."
    return _done(request, study, member, coders, message, (code_a, code_b))
