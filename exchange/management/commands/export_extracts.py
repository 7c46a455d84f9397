import hashlib
import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange.extracts import csv_chunks, extract_table, write_xlsx
from studies.audit import Action, audit
from studies.models import Membership, Role, Study

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


class _Counted:
    """The rows, counted as they pass."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


class Command(BaseCommand):
    help = (
        "Export every coded extract of a study as .csv or .xlsx (chosen by OUT's extension): "
        "one row per coding with its transcript, version, participant pseudonym and attributes, "
        "source project, code, parent code, coder, start and end (code points, the end "
        "exclusive), turn, speaker and words. Exports as --as USERNAME (any member; the blind "
        "rule applies: what an open round hides from them is left out) or else as the study's "
        "first custodian. The export is audited. Exit code 0 on success, 1 with a one-line "
        "reason otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("out", help="The file to write: NAME.csv or NAME.xlsx.")
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
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise CommandError(f"{out}: the file's name must end in .csv or .xlsx")
        if not path.parent.is_dir():
            raise CommandError(f"{out}: the folder {path.parent} does not exist")
        member = self.member(study, username)
        table = extract_table(member=member)
        rows = _Counted(table.rows)
        try:
            digest = self.write(path, fmt, table.header, rows)
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror or error}") from None
        audit(
            Action.EXPORT,
            actor=member.user,
            study=study,
            details={
                "what": "extracts",
                "format": fmt,
                "file": path.name,
                "rows": rows.count,
                "sha256": digest,
                "by": "command",
            },
        )
        self.stdout.write(f"{rows.count} extracts written to {path} as {member.user}.")

    def write(self, path: Path, fmt: str, header: list[str], rows) -> str:
        """The file written beside its target and renamed into place, so that a failed export
        leaves no half file; its SHA-256."""
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=".extracts-", suffix=path.suffix
        )
        try:
            with os.fdopen(handle, "wb") as file:
                if fmt == "csv":
                    for chunk in csv_chunks(header, rows):
                        file.write(chunk)
                else:
                    write_xlsx(header, rows, file)
            with open(temporary, "rb") as file:
                digest = hashlib.file_digest(file, "sha256").hexdigest()
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

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
