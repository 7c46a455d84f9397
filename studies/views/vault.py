"""The identity vault's pages: custodians only, after the second factor. Everyone else gets 404,
as if the pages did not exist; every page read is audited (studies.vault)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from studies import vault
from studies.access import study_access
from studies.audit import Action, audit
from studies.forms.vault import ConsentForm, IdentityForm, ScreeningForm, WithdrawalForm
from studies.models import InclusionCriterion, Participant, Role, Withdrawal
from studies.second_factor import second_factor_required
from studies.withdrawal import allowed_modes, participant_withdraw, withdrawal_preview


def _participant(study, uuid) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("source_project"), study=study, uuid=uuid
    )


def vault_roster(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CUSTODIAN, hidden=True)
    if response := second_factor_required(request):
        return response
    rows = vault.vault_roster(request=request, member=member)
    withdrawals = Withdrawal.objects.filter(study=study).select_related("withdrawn_by")
    return render(
        request,
        "studies/vault/roster.html",
        {"study": study, "rows": rows, "withdrawals": withdrawals},
    )


@require_http_methods(["GET", "POST"])
def vault_participant(request: HttpRequest, study: str, participant: str) -> HttpResponse:
    """A participant's identity, consent records and screening, each with its form."""
    study, member = study_access(request, study, Role.CUSTODIAN, hidden=True)
    if response := second_factor_required(request):
        return response
    participant = _participant(study, participant)
    criteria = list(InclusionCriterion.objects.filter(study=study))
    section = request.POST.get("section") if request.method == "POST" else None

    if section == "identity":
        identity_form = IdentityForm(request.POST)
        if identity_form.is_valid():
            vault.identity_save(
                request=request,
                member=member,
                participant=participant,
                **identity_form.cleaned_data,
            )
            messages.success(request, f"Saved {participant.pseudonym}'s identity.")
            return redirect("vault-participant", study=study.slug, participant=participant.uuid)
    if section == "consent":
        consent_form = ConsentForm(request.POST)
        if consent_form.is_valid():
            vault.consent_add(
                request=request, member=member, participant=participant, **consent_form.cleaned_data
            )
            messages.success(request, f"Recorded {participant.pseudonym}'s consent.")
            return redirect("vault-participant", study=study.slug, participant=participant.uuid)

    record = vault.vault_record(request=request, member=member, participant=participant)
    identity = record["identity"]
    if section == "screening":
        screening_form = ScreeningForm(
            request.POST, criteria=criteria, initial_records=record["screening"]
        )
        if screening_form.is_valid():
            vault.screening_save(
                request=request,
                member=member,
                participant=participant,
                results=screening_form.results(),
            )
            messages.success(request, f"Saved {participant.pseudonym}'s screening.")
            return redirect("vault-participant", study=study.slug, participant=participant.uuid)
    context = {
        "study": study,
        "participant": participant,
        "identity": identity,
        "consents": record["consents"],
        "identity_form": identity_form
        if section == "identity"
        else IdentityForm(
            initial={
                "real_name": identity.real_name,
                "contact": identity.contact,
                "original_id": identity.original_id,
                "notes": identity.notes,
            }
            if identity
            else None
        ),
        "consent_form": consent_form if section == "consent" else ConsentForm(),
        "screening_form": screening_form
        if section == "screening"
        else ScreeningForm(criteria=criteria, initial_records=record["screening"]),
    }
    return render(
        request, "studies/vault/participant.html", context, status=422 if section else 200
    )


@require_http_methods(["GET", "POST"])
def vault_withdraw(request: HttpRequest, study: str, participant: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CUSTODIAN, hidden=True)
    if response := second_factor_required(request):
        return response
    participant = _participant(study, participant)
    modes = allowed_modes(study.withdrawal_policy)
    form = WithdrawalForm(request.POST or None, modes=modes)
    if request.method == "GET":
        audit(
            Action.VAULT_READ,
            request=request,
            study=study,
            target=participant,
            details={"page": "withdrawal", "participant": participant.pseudonym},
        )
    if request.method == "POST" and form.is_valid():
        try:
            tombstone = participant_withdraw(
                request=request,
                member=member,
                participant=participant,
                mode=form.cleaned_data["mode"],
                confirmation=form.cleaned_data["confirmation"],
                legal_basis=form.cleaned_data["legal_basis"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{tombstone.pseudonym} has been withdrawn ({tombstone.get_mode_display().lower()}).",
            )
            return redirect("vault-roster", study=study.slug)
    return render(
        request,
        "studies/vault/withdraw.html",
        {
            "study": study,
            "participant": participant,
            "form": form,
            "preview": withdrawal_preview(participant),
        },
        status=422 if form.is_bound else 200,
    )
