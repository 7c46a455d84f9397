"""Agreement statistics pages: a study's past runs with the form that computes a new one, and one
run's table. Every member reads runs; coders, leads and custodians compute them.

The blind rule: a run keeps labels and figures drawn from its coders' codings, so a member sees a
run only while none of that is hidden from them by an open round — none of its coders is blind
to them, none of its transcripts has codings hidden from them, none of its codes is hidden
(`coding.stats.Blind.hides_runs`). The list says how many runs are hidden for now, without their
figures; a hidden run's page is a 404, like a code hidden by a round. When the round is
unblinded the runs come back. The queries of both pages do not grow with the runs or codes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from coding.forms_agreement import AgreementForm
from coding.models import AgreementRun
from coding.stats import (
    CAVEAT,
    JUSTIFICATION_MIN,
    UNIT_LABELS,
    Blind,
    agreement_compute,
    coder_letters,
    run_as_json,
    statistics_by_default,
)
from studies.access import study_access
from studies.models import Membership, Role, Study
from transcripts.models import Transcript

PAGE = "coding/agreement.html"
RUN_PAGE = "coding/agreement_run.html"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _runs(study: Study) -> list[AgreementRun]:
    return list(
        AgreementRun.objects.filter(study=study)
        .select_related("created_by")
        .prefetch_related(
            "coders", Prefetch("transcripts", queryset=Transcript.objects.only("pk", "study_id"))
        )
    )


def _summary(run: AgreementRun) -> dict:
    """What the list shows of a run: its options and its pooled figures."""
    result = run.result
    letters = coder_letters(len(result["coders"]))
    pooled = result["pooled"]
    return {
        "run": run,
        "unit": UNIT_LABELS.get(run.unit, run.unit),
        "coders": [
            (letter, coder["username"])
            for letter, coder in zip(letters, result["coders"], strict=True)
        ],
        "transcripts": len(result["transcripts"]),
        "codes": len(result["rows"]),
        "agreement": percent(pooled["percent_agreement"]),
        "alpha": figure(pooled["krippendorff_alpha"]),
        "mean_kappa": figure(pooled["mean_kappa"]),
    }


def _page(
    request: HttpRequest,
    study: Study,
    member: Membership,
    form: AgreementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    runs = _runs(study)
    hidden = Blind.of(member).hides_runs(runs)
    context = {
        "study": study,
        "member": member,
        "runs": [_summary(run) for run in runs if run.pk not in hidden],
        "hidden": len(hidden),
        "by_default": statistics_by_default(study),
        "justification_min": JUSTIFICATION_MIN,
        "caveat": CAVEAT,
        "can_compute": member.has_role(Role.CODER),
    }
    if context["can_compute"]:
        form = form or AgreementForm(study=study)
        chosen_coders, chosen_transcripts = form.chosen("coders"), form.chosen("transcripts")
        context |= {
            "form": form,
            "coder_choices": [
                (user, user.get_username() in chosen_coders)
                for user in form.fields["coders"].queryset
            ],
            "transcript_choices": [
                (transcript, str(transcript.uuid) in chosen_transcripts)
                for transcript in form.fields["transcripts"].queryset
            ],
        }
    return render(request, PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
def agreement_page(request: HttpRequest, study: str) -> HttpResponse:
    """GET: the study's runs, and the form. POST: compute a run, then show it."""
    if request.method != "POST":
        study, member = study_access(request, study)
        return _page(request, study, member)
    study, member = study_access(request, study, Role.CODER)
    form = AgreementForm(request.POST, study=study)
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = agreement_compute(
                member=member,
                coders=list(data["coders"]),
                unit=data["unit"],
                threshold=data["threshold"],
                exclude_interviewer=data["exclude_interviewer"],
                transcripts=list(data["transcripts"]) or None,
                justification=data["justification"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Agreement computed: read it as a prompt for discussion.")
            return redirect("coding-agreement-run", study=study.slug, run=run.uuid)
    return _page(request, study, member, form=form, status=422)


def _rows(result: dict) -> list[dict]:
    return [
        {
            "code": row["code"],
            "by": row["by"],
            "n_units": row["n_units"],
            "prevalence": [percent(value) for value in row["prevalence"]],
            "agreement": percent(row["percent_agreement"]),
            "kappa": figure(row["cohen_kappa"]),
            "alpha": figure(row["krippendorff_alpha"]),
            "warnings": row["warnings"],
        }
        for row in result["rows"]
    ]


def agreement_run(request: HttpRequest, study: str, run: str) -> HttpResponse:
    """One run: the per-code table with the pooled figures beside it, the options, transcripts,
    codebook state and justification; `?format=json` downloads it as the command prints it."""
    study, member = study_access(request, study)
    run = get_object_or_404(
        AgreementRun.objects.filter(study=study)
        .select_related("created_by")
        .prefetch_related(
            "coders",
            Prefetch("transcripts", queryset=Transcript.objects.select_related("participant")),
        ),
        uuid=run,
    )
    if Blind.of(member).hides_runs([run]):
        raise Http404
    run.study = study
    if request.GET.get("format") == "json":
        response = JsonResponse(run_as_json(run), json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="agreement-{run.uuid}.json"'
        return response
    result = run.result
    letters = coder_letters(len(result["coders"]))
    pooled = _rows({"rows": [result["pooled"] | {"code": "", "by": []}]})[0]
    transcripts = sorted(
        run.transcripts.all(), key=lambda t: (t.participant.pseudonym, t.title, t.pk)
    )
    context = {
        "study": study,
        "member": member,
        "run": run,
        "unit": UNIT_LABELS.get(run.unit, run.unit),
        "mode": Study.AnalysisMode(result.get("mode", study.analysis_mode)).label,
        "coders": list(zip(letters, (c["username"] for c in result["coders"]), strict=True)),
        "rows": _rows(result),
        "pooled": pooled
        | {
            "mean_kappa": figure(result["pooled"]["mean_kappa"]),
            "by_coder": list(zip(letters, pooled["prevalence"], strict=True)),
        },
        "transcripts": [
            (transcript, result["transcripts"].get(str(transcript.uuid), {}))
            for transcript in transcripts
        ],
        "codebook": sorted(
            run.codebook.values(), key=lambda code: (code["label"].casefold(), code["label"])
        ),
        "caveat": CAVEAT,
    }
    return render(request, RUN_PAGE, context)
