from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange.qdpx.export import InvalidExport, export_codebook, export_study
from studies.models import Membership, Role, Study


class Command(BaseCommand):
    help = (
        "Export a study as a REFI-QDA project (.qdpx): the locked transcripts' anonymised text, "
        "codes with their hierarchy, colours and descriptions, every coder's codings (each with "
        "its coder as creatingUser), memos as notes, and participants as cases named by pseudonym "
        "with their attributes as variables — checked against the official Project.xsd before "
        "anything is written. With --codebook, the live codebook alone as a .qdc (Codebook.xsd). "
        "Exports as --as USERNAME (any member of the study, under the blind rule: a coder in an "
        "open round exports only their own layer there) or else as the study's first custodian. "
        "Journal entries, familiarisation notes and the identity vault never leave. The export is "
        "audited. Exit code 0 on success, 1 with a one-line reason otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("out", help="The file to write (e.g. study.qdpx, or codebook.qdc).")
        parser.add_argument(
            "--as",
            dest="username",
            help="The member exporting (default: the study's first custodian).",
        )
        parser.add_argument(
            "--codebook", action="store_true", help="Write the codebook alone, as a .qdc."
        )

    def handle(self, *args, study: str, out: str, **options):
        slug, study = study, Study.objects.filter(slug=study).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        member = self.member(study, options["username"])
        path = Path(out)
        if path.is_dir():
            raise CommandError(f"{out} is a folder: give the file to write")
        if not path.parent.is_dir():
            raise CommandError(f"the folder {path.parent} does not exist")
        try:
            if options["codebook"]:
                export = export_codebook(member, out=path)
            else:
                export = export_study(member, out=path)
        except InvalidExport as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"could not write {out}: {error.strerror or error}") from None
        if export.summary is not None:
            for line in export.summary.lines():
                self.stdout.write(line)
        self.stdout.write(f"Wrote {out} ({len(export.content):,} bytes, SHA-256 {export.sha256}).")

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
