"""The methods scaffold of the report (PRODUCT.md §W): the facts a methods section states, as
sentences for the authors to rewrite — the type of thematic analysis and the stance, the coding
process, the reconciliation process, and agreement figures with their unit and sample only if
they were computed. Everything is counted as the member may see it (the blind rule)."""

from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q

from coding.models import AgreementRun, Code, CodingRound, Meeting, Outcome, Reconciliation
from coding.reconcile.meetings import decisions_visible_to
from coding.stats import CAVEAT, UNIT_LABELS, Blind, statistics_by_default
from studies.models import AnalysisModeChange, Membership
from themes.review import visible_codings


@dataclass
class MethodsSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Methods:
    sections: list[MethodsSection]
    agreement: AgreementRun | None = None  # the run whose figures are reported, if any


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _percent(value) -> str:
    return "not defined" if value is None else f"{value * 100:.1f} %"


def _figure(value) -> str:
    return "not defined" if value is None else f"{value:.2f}"


def _approach(member: Membership) -> MethodsSection:
    study = member.study
    section = MethodsSection("Approach")
    section.paragraphs.append(
        f"Type of thematic analysis: {study.get_analysis_mode_display().lower()}."
    )
    stance = " ".join(study.epistemological_stance.split())
    if stance:
        section.paragraphs.append(f"Epistemological stance: {stance}")
    for change in AnalysisModeChange.objects.filter(study=study).order_by("changed_at", "pk"):
        section.paragraphs.append(
            f"The analysis mode was changed from {change.get_from_mode_display().lower()} to "
            f"{change.get_to_mode_display().lower()} on {change.changed_at:%d %B %Y}, because: "
            f"“{' '.join(change.justification.split())}”"
        )
    return section


def _coding(member: Membership) -> MethodsSection:
    codings = visible_codings(member)
    coders = codings.values("coder").distinct().count()
    transcripts = codings.values("version__transcript").distinct().count()
    codes = Code.objects.visible_to(member).filter(retired_at__isnull=True)
    kinds = dict(codes.values_list("kind").annotate(n=Count("pk")).order_by())
    rounds = CodingRound.objects.filter(study_id=member.study_id).aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(closed_at__isnull=False))
    )
    section = MethodsSection("Coding")
    semantic, latent = kinds.get(Code.Kind.SEMANTIC, 0), kinds.get(Code.Kind.LATENT, 0)
    section.paragraphs.append(
        f"{_n(coders, 'researcher')} coded {_n(transcripts, 'transcript')} in the browser, "
        f"with {_n(semantic + latent, 'code')} in the codebook ({semantic} semantic, "
        f"{latent} latent)."
    )
    if rounds["total"]:
        text = (
            f"Coding was blind in {_n(rounds['total'], 'round')}: while a round was open, each "
            "coder saw only their own codings on its transcripts. "
            f"{_n(rounds['closed'], 'round was', 'rounds were')} unblinded by the lead author "
            "once coding was done"
        )
        still = rounds["total"] - rounds["closed"]
        text += f"; {_n(still, 'round is', 'rounds are')} still open." if still else "."
        section.paragraphs.append(text)
    else:
        section.paragraphs.append(
            "No blind coding rounds were held: coders could see one another's codings."
        )
    return section


def _reconciliation(member: Membership) -> MethodsSection:
    study_id = member.study_id
    done = Reconciliation.objects.filter(study_id=study_id).aggregate(
        total=Count("pk"), finished=Count("pk", filter=Q(finished_at__isnull=False))
    )
    outcomes = dict(
        decisions_visible_to(member).values_list("outcome").annotate(n=Count("pk")).order_by()
    )
    meetings = Meeting.objects.filter(study_id=study_id).aggregate(
        n=Count("pk"), first=Min("held_on"), last=Max("held_on")
    )
    section = MethodsSection("Reconciliation")
    if not done["total"]:
        section.paragraphs.append("The coders' layers were not reconciled in the tool.")
    else:
        section.paragraphs.append(
            f"The coders compared their layers and walked through the differences together in "
            f"{_n(done['total'], 'reconciliation')} ({done['finished']} finished). Each coder's "
            "layer was kept as it was; agreed codings form a separate, attributed consensus layer."
        )
        decided = sum(outcomes.values())
        if decided:
            parts = [
                f"{outcomes.get(outcome, 0)} {label.lower()}" for outcome, label in Outcome.choices
            ]
            section.paragraphs.append(
                f"The team recorded {_n(decided, 'decision')} on the differences, each with a "
                f"rationale: {', '.join(parts)}."
            )
    if meetings["n"]:
        when = (
            f"on {meetings['first']:%d %B %Y}"
            if meetings["first"] == meetings["last"]
            else f"between {meetings['first']:%d %B %Y} and {meetings['last']:%d %B %Y}"
        )
        section.paragraphs.append(
            f"The team met {_n(meetings['n'], 'time')} {when} to discuss codes and decisions."
        )
    return section


def _agreement(member: Membership) -> tuple[MethodsSection | None, AgreementRun | None]:
    runs = list(
        AgreementRun.objects.filter(study_id=member.study_id)
        .prefetch_related("coders", "transcripts")
        .order_by("-created_at", "-pk")
    )
    hidden = Blind.of(member).hides_runs(runs) if runs else set()
    runs = [run for run in runs if run.pk not in hidden]
    reflexive = not statistics_by_default(member.study)
    if not runs:
        if not reflexive:
            return None, None
        return MethodsSection(
            "Intercoder agreement",
            [
                "No intercoder agreement statistics were computed: in reflexive thematic "
                "analysis, differences between coders' readings are a resource, not error."
            ],
        ), None
    run = runs[0]
    result = run.result or {}
    pooled = result.get("pooled", {})
    unit = UNIT_LABELS.get(run.unit, run.unit)
    if run.threshold is not None:
        unit += f" (matched at an overlap of at least {run.threshold:g} of their union)"
    coders = len(result.get("coders", [])) or len(run.coders.all())
    transcripts = len(result.get("transcripts", {})) or len(run.transcripts.all())
    latest = f" (the latest of {len(runs)} computations)" if len(runs) > 1 else ""
    left_out = "; the interviewer's turns were left out" if run.exclude_interviewer else ""
    text = (
        f"Intercoder agreement was computed{latest} with the {unit} as the unit{left_out}, for "
        f"{_n(coders, 'coder')} over {_n(transcripts, 'transcript')} "
        f"({_n(pooled.get('n_units') or 0, 'unit')}), pooled over every code: percent agreement "
        f"{_percent(pooled.get('percent_agreement'))}, Cohen's kappa "
        f"{_figure(pooled.get('cohen_kappa'))}, Krippendorff's alpha (nominal) "
        f"{_figure(pooled.get('krippendorff_alpha'))}."
    )
    section = MethodsSection("Intercoder agreement", [text])
    justification = " ".join(run.justification.split())
    if reflexive or justification:
        section.paragraphs.append(
            f"It was computed because: “{justification}”"
            if justification
            else "No reason was recorded for computing it."
        )
    section.paragraphs.append(CAVEAT)
    return section, run


def methods_scaffold(member: Membership) -> Methods:
    """The methods section's facts, as sentences to rewrite: the type of thematic analysis and
    the stance; the coding process (coders, transcripts, codes, blind rounds held and
    unblinded); the reconciliation process (reconciliations, decisions by outcome, meetings);
    and agreement figures — with their unit and sample — only if they were computed (in
    reflexive TA, with the justification quoted). Counts are of what the member may see."""
    sections = [_approach(member), _coding(member), _reconciliation(member)]
    agreement, run = _agreement(member)
    if agreement is not None:
        sections.append(agreement)
    return Methods(sections=sections, agreement=run)
