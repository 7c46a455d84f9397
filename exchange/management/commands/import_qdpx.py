import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from exchange.qdpx.importer import ImportResult, qdpx_import
from studies.models import Membership, Role, Study
from transcripts.importers.files import MAX_UPLOAD_BYTES


class Command(BaseCommand):
    help = (
        "Import a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette …). "
        "With --study naming an existing study, the project becomes a new source project of it "
        "(imported as --as USERNAME, a lead or custodian, or else its first custodian); with a "
        "new slug, a new study is made whose custodian is --as USERNAME. Sources become "
        "transcripts in anonymisation review (speaker labels become turns), cases participants "
        "under new pseudonyms (their names kept in the vault), variables attributes, each user a "
        "coder layer, codes keep their hierarchy, notes become memos. Everything that cannot be "
        "imported (pictures, audio, PDF areas …) is listed, and how each source's offsets were "
        "counted is said. All or nothing. Exit code 0 on success, 1 with a one-line reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .qdpx file.")
        parser.add_argument(
            "--study",
            required=True,
            help="The slug of the study to import into; a slug no study has yet makes a new study.",
        )
        parser.add_argument(
            "--source-project",
            default="",
            help="The new source project's name (default: the project's name in the file).",
        )
        parser.add_argument(
            "--title", default="", help="A new study's title (default: the project's name)."
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The account importing (required for a new study).",
        )
        parser.add_argument(
            "--match-accounts",
            action="store_true",
            help="Give the file's users the existing accounts of the same username (as coders).",
        )
        parser.add_argument("--json", action="store_true", help="The result as one JSON object.")

    def handle(self, *args, file: str, study: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise CommandError(f"{file} is over the {MAX_UPLOAD_BYTES // 2**20} MiB limit")
        existing = Study.objects.filter(slug=study).first()
        member, user, new_study = None, None, None
        if existing is not None:
            member = self.member(existing, options["username"])
            user = member.user
        else:
            if study != slugify(study) or not study:
                raise CommandError(
                    f"{study!r} is not a study's slug (lower-case letters, digits, hyphens)"
                )
            if not options["username"]:
                raise CommandError(f"no study {study!r} yet: give --as USERNAME to make it")
            user = self.account(options["username"])
            new_study = {"slug": study}
            if options["title"]:
                new_study["title"] = options["title"]
        try:
            result = qdpx_import(
                content=path.read_bytes(),
                user=user,
                member=member,
                new_study=new_study,
                source_project_name=options["source_project"],
                match_accounts=options["match_accounts"],
                filename=path.name,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["json"]:
            self.stdout.write(json.dumps(self.as_json(result), ensure_ascii=False))
        else:
            for line in result.lines():
                self.stdout.write(line)

    def account(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active account named {username!r}")
        return user

    def member(self, study: Study, username: str | None) -> Membership:
        memberships = (
            Membership.objects.active().filter(study=study).select_related("user", "study")
        )
        if username:
            self.account(username)
            membership = memberships.filter(user__username=username).first()
            if membership is None or not membership.has_role(Role.LEAD):
                raise CommandError(f"{username} is not a lead or custodian of {study.slug}")
            return membership
        membership = memberships.filter(role=Role.CUSTODIAN).order_by("added_at", "pk").first()
        if membership is None:
            raise CommandError(f"{study.slug} has no custodian to import as; give --as USERNAME")
        return membership

    @staticmethod
    def as_json(result: ImportResult) -> dict:
        return {
            "study": result.study.slug,
            "created_study": result.created_study,
            "source_project": result.source_project.name,
            "summary": result.summary(),
            "transcripts": [
                {
                    "title": line.title,
                    "participant": line.pseudonym,
                    "source": line.source,
                    "offsets": line.reading,
                    "evidence": line.evidence,
                    "turns": line.turns,
                    "speakers": line.speakers,
                    "codings": line.codings,
                    "identifiers_to_review": line.candidates,
                    "warnings": line.warnings,
                }
                for line in result.transcripts
            ],
            "participants": result.participants,
            "coders": result.coders,
            "attributes": result.attributes,
            "codes": result.codes,
            "codes_reused": result.codes_reused,
            "codes_renamed": result.codes_renamed,
            "codings": result.codings,
            "memos": result.memos,
            "journal_entries": result.journal_entries,
            "warnings": result.warnings,
            "skipped": result.skipped,
        }
