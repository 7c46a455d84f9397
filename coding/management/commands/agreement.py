import json
import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coding.stats import (
    CAVEAT,
    DEFAULT_THRESHOLD,
    UNIT_LABELS,
    UNITS,
    agreement_compute,
    coder_letters,
    run_as_json,
)
from studies.models import Membership, Role, Study
from transcripts.models import Transcript

WIDEST_CODE = 48


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = (
        "Compute intercoder agreement between coders of a study, code by code; save it as a run "
        "(shown on the study's Agreement page, with the codebook state it used) and audit it. "
        "Prints the per-code table — code, units, each coder's prevalence, percent agreement, "
        "Cohen's kappa, Krippendorff's alpha (nominal), warnings — and the pooled figures apart. "
        'With --json, one object: {"run", "study", "created_at", "unit", "threshold", '
        '"exclude_interviewer", "coders", "transcripts" (how many), "justification", '
        '"rows": [{"code", "n_units", "prevalence_a", "prevalence_b", "percent_agreement", '
        '"cohen_kappa", "krippendorff_alpha"}, ...], "pooled": {the same figures without '
        '"code", and "mean_kappa"}}; figures are shares from 0 to 1, null where undefined '
        "(prevalence_c … for a third coder …). Without --transcripts, every locked transcript "
        "that at least two of the coders coded; a coder who did not code a transcript is missing "
        "there, not zero. Computes as --as USERNAME (a coder, lead or custodian of the study, "
        "under the blind rule: codings an open round hides from them are refused) or else as "
        "the study's first custodian. In a reflexive-TA study --justification is required. "
        "Exit code 0 on success, 1 with a one-line reason otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument(
            "--coders",
            nargs="+",
            default=[],
            metavar="USERNAME",
            help="The coders compared, at least two: the first is coder A, the second B.",
        )
        parser.add_argument(
            "--unit",
            default="turn",
            help=f"What a unit is: {', '.join(UNITS)} (default turn).",
        )
        parser.add_argument(
            "--threshold",
            default=str(DEFAULT_THRESHOLD),
            help="For --unit segment: the overlap (a share of the union, more than 0, at most 1) "
            f"two codings need to match (default {DEFAULT_THRESHOLD}).",
        )
        parser.add_argument(
            "--exclude-interviewer",
            action="store_true",
            help="Leave the interviewer's turns out.",
        )
        parser.add_argument(
            "--transcripts",
            nargs="+",
            metavar="ID",
            help="Only these transcripts: each a transcript's UUID or a participant's pseudonym.",
        )
        parser.add_argument(
            "--justification",
            default="",
            help="Why agreement is computed (at least 20 characters; required in reflexive TA).",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The account computing (default: the study's first custodian).",
        )
        parser.add_argument("--json", action="store_true", help="The run as one JSON object.")

    def handle(self, *args, study: str, **options):
        slug, study = study, Study.objects.filter(slug=study).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        if not options["coders"]:
            raise CommandError("give the coders to compare: --coders USER_A USER_B")
        member = self.member(study, options["username"])
        User = get_user_model()
        coders = []
        for username in options["coders"]:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no account named {username!r}")
            coders.append(user)
        try:
            threshold = float(options["threshold"])
        except ValueError:
            raise CommandError(f"--threshold: {options['threshold']!r} is not a number") from None
        transcripts = (
            None
            if options["transcripts"] is None
            else self.transcripts(study, options["transcripts"])
        )
        try:
            run = agreement_compute(
                member=member,
                coders=coders,
                unit=options["unit"],
                threshold=threshold,
                exclude_interviewer=options["exclude_interviewer"],
                transcripts=transcripts,
                justification=options["justification"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        data = run_as_json(run)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.table(data, warnings=[row["warnings"] for row in run.result["rows"]])

    def member(self, study: Study, username: str | None) -> Membership:
        memberships = (
            Membership.objects.active().filter(study=study).select_related("user", "study")
        )
        if username:
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"no account named {username!r}")
            membership = memberships.filter(user__username=username).first()
            if membership is None or not membership.has_role(Role.CODER):
                raise CommandError(f"{username} is not a coder, lead or custodian of {study.slug}")
            return membership
        membership = memberships.filter(role=Role.CUSTODIAN).order_by("added_at", "pk").first()
        if membership is None:
            raise CommandError(f"{study.slug} has no custodian to compute as; give --as USERNAME")
        return membership

    def transcripts(self, study: Study, names: list[str]) -> list[Transcript]:
        found = []
        for name in names:
            try:
                chosen = Transcript.objects.filter(study=study, uuid=uuid.UUID(name))
            except ValueError:
                chosen = Transcript.objects.filter(study=study, participant__pseudonym__iexact=name)
            chosen = list(chosen.order_by("imported_at", "pk"))
            if not chosen:
                raise CommandError(
                    f"no transcript {name!r} in {study.slug}: give a transcript's UUID or a "
                    "participant's pseudonym"
                )
            found += chosen
        return found

    def table(self, data: dict, warnings: list[list[str]]) -> None:
        """The per-code table as aligned text, the pooled figures on a line of their own."""
        letters = coder_letters(len(data["coders"]))
        coders = ", ".join(
            f"{name} ({letter})" for name, letter in zip(data["coders"], letters, strict=True)
        )
        unit = UNIT_LABELS[data["unit"]]
        if data["threshold"] is not None:
            unit += f" (overlap ≥ {data['threshold']})"
        if data["exclude_interviewer"]:
            unit += ", interviewer's turns left out"
        self.stdout.write(
            f"Agreement by {unit}: {coders}; {data['transcripts']} transcript"
            f"{'s' if data['transcripts'] != 1 else ''}. Saved as run {data['run']}."
        )
        width = min(WIDEST_CODE, max([4, *(len(row["code"]) for row in data["rows"])]))
        header = [
            "code".ljust(width),
            f"{'units':>7}",
            *(f"{'prev. ' + letter:>8}" for letter in letters),
            f"{'agreement':>9}",
            f"{'kappa':>6}",
            f"{'alpha':>6}",
            "warnings",
        ]
        self.stdout.write("")
        self.stdout.write("  ".join(header))
        for row, its_warnings in zip(data["rows"], warnings, strict=True):
            code = row["code"]
            if len(code) > width:
                code = code[: width - 1] + "…"
            cells = [
                code.ljust(width),
                f"{row['n_units']:>7}",
                *(f"{_percent(row['prevalence_' + letter.lower()]):>8}" for letter in letters),
                f"{_percent(row['percent_agreement']):>9}",
                f"{_figure(row['cohen_kappa']):>6}",
                f"{_figure(row['krippendorff_alpha']):>6}",
                ", ".join(its_warnings),
            ]
            self.stdout.write("  ".join(cells).rstrip())
        pooled = data["pooled"]
        prevalences = ", ".join(
            f"{letter} {_percent(pooled['prevalence_' + letter.lower()])}" for letter in letters
        )
        self.stdout.write("")
        self.stdout.write(
            f"Pooled, every unit of every code: {pooled['n_units']} units, prevalence "
            f"{prevalences}, agreement {_percent(pooled['percent_agreement'])}, kappa "
            f"{_figure(pooled['cohen_kappa'])}, alpha {_figure(pooled['krippendorff_alpha'])}; "
            f"mean kappa of the codes {_figure(pooled['mean_kappa'])}."
        )
        self.stdout.write(CAVEAT)
