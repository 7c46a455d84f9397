import hashlib
import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange.docx_report import report_docx
from studies.audit import Action, audit
from studies.models import Membership, Role, Study


class Command(BaseCommand):
    help = (
        "Export the results section's skeleton of a study as a Word document: the methods "
        "scaffold, Table 4 (themes, subthemes, definitions, contributing participants), the "
        "thematic map as a picture, and per theme its heading, definition and chosen quotes, each "
        "attributed by pseudonym only. A quote that no longer matches its transcript is marked "
        "[check against the transcript]; a quote of a participant who may not be quoted is left "
        "out. Exports as --as USERNAME (any member; the blind rule applies: what an open round "
        "hides from them is left out) or else as the study's first custodian. The export is "
        "audited. Exit code 0 on success, 1 with a one-line reason otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("out", help="The file to write: NAME.docx.")
        parser.add_argument(
            "--as",
            dest="username",
            help="The account exporting (default: the study's first custodian).",
        )

    def handle(self, *args, study: str, out: str, username: str | None, **options):
        slug, study = study, Study.objects.filter(slug=study).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        path = Path(out)
        if path.suffix.lower() != ".docx":
            raise CommandError(f"{out}: the file's name must end in .docx")
        if not path.parent.is_dir():
            raise CommandError(f"{out}: the folder {path.parent} does not exist")
        member = self.member(study, username)
        content, report = report_docx(member, actor=member.user)
        # Written beside the target and renamed into place: a failed export leaves no half file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".report-", suffix=".docx")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        quotes = len(report.extracts) - len(report.withheld)
        audit(
            Action.EXPORT,
            actor=member.user,
            study=study,
            details={
                "what": "report",
                "file": path.name,
                "sha256": hashlib.sha256(content).hexdigest(),
                "themes": len(report.themes),
                "quotes": quotes,
                "flagged": len(report.flagged),
                "withheld": len(report.withheld),
                "command": True,
            },
        )
        self.stdout.write(
            f"Wrote {path}: {len(report.themes)} theme{'s' if len(report.themes) != 1 else ''}, "
            f"{quotes} quote{'s' if quotes != 1 else ''} ({len(report.flagged)} to check against "
            f"the transcript, {len(report.withheld)} left out for want of consent)."
        )

    def member(self, study: Study, username: str | None) -> Membership:
        memberships = (
            Membership.objects.active().filter(study=study).select_related("user", "study")
        )
        if username:
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"no account named {username!r}")
            membership = memberships.filter(user__username=username).first()
            if membership is None:
                raise CommandError(f"{username} is not a member of {study.slug}")
            return membership
        membership = memberships.filter(role=Role.CUSTODIAN).order_by("added_at", "pk").first()
        if membership is None:
            raise CommandError(f"{study.slug} has no custodian to export as; give --as USERNAME")
        return membership
