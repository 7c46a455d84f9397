import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from studies.models import Membership, Participant, Role, SourceProject, Study
from transcripts import services
from transcripts.forms import parse_speaker_map
from transcripts.models import ImportJob, JobStatus


class Command(BaseCommand):
    help = (
        "Import transcript files (.docx, .txt, .vtt: typed, Teams, Zoom, Otter) into a study in one go. "
        "Speakers are mapped by --speaker-map, by labels that are already pseudonyms or 'Interviewer', "
        "or, with --participant, the one voice that is not the interviewer. Exit code 0 when no file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("files", nargs="+", help="Transcript files.")
        parser.add_argument(
            "--participant", help="The pseudonym of the person interviewed in every file."
        )
        parser.add_argument(
            "--source-project", help="The source project's name (default: the participant's)."
        )
        parser.add_argument(
            "--speaker-map",
            default="",
            help='Who is who: "Alex Smith=Interviewer;Sam Jones=P3;Bot=drop".',
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The account importing (default: a custodian of the study).",
        )
        parser.add_argument(
            "--json", action="store_true", help="One JSON object per file on standard output."
        )

    def handle(self, *args, study: str, files: list[str], **options):
        slug, study = study, Study.objects.filter(slug=study).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        member = self.member(study, options["username"])
        participant = self.participant(study, options["participant"])
        source_project = self.source_project(study, options["source_project"])
        try:
            speaker_map = parse_speaker_map(options["speaker_map"])
        except ValidationError as error:
            raise CommandError(f"--speaker-map: {' '.join(error.messages)}") from None

        results, uploads = [], []
        for name in files:
            path = Path(name)
            if not path.is_file():
                results.append({"file": name, "status": "failed", "error": "no such file"})
                continue
            uploads.append((name, services.Upload(name=path.name, data=path.read_bytes())))
        jobs = services.jobs_create(
            member=member,
            uploads=[upload for _name, upload in uploads],
            participant=participant,
            source_project=source_project,
            speaker_map=speaker_map,
            user=member.user,
            queue_jobs=False,
        )
        for (name, _upload), job in zip(uploads, jobs, strict=True):
            if job.status == JobStatus.QUEUED:
                services.job_process(job.pk)
            results.append(
                self.result(name, ImportJob.objects.select_related("transcript").get(pk=job.pk))
            )

        for result in results:
            if options["json"]:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            else:
                detail = result.get("transcript_title") or result.get("error", "")
                self.stdout.write(f"{result['status']:<9} {result['file']}  {detail}")
        if any(result["status"] == "failed" for result in results):
            raise SystemExit(1)

    def result(self, name: str, job: ImportJob) -> dict:
        result = {
            "file": name,
            "status": job.status,
            "format": job.format or None,
            "error": job.error or None,
        }
        if job.status == JobStatus.IMPORTED:
            version = job.transcript.versions.get(number=1)
            turns = version.turns.all()
            result |= {
                "transcript": str(job.transcript.uuid),
                "transcript_title": job.transcript.title,
                "turns": len(turns),
                "speakers": sorted(
                    {
                        turn.participant.pseudonym if turn.participant else "Interviewer"
                        for turn in turns.select_related("participant")
                    }
                ),
            }
        elif job.status == JobStatus.MAPPING:
            speakers = services.parsed_of(job).speakers
            result |= {
                "status": "failed",
                "speakers": speakers,
                "error": "its speakers are not all known: give --speaker-map or --participant, "
                "or map them in the browser (the import is waiting there)",
            }
        return result

    def member(self, study: Study, username: str | None) -> Membership:
        memberships = (
            Membership.objects.active().filter(study=study).select_related("user", "study")
        )
        if username:
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"no account named {username!r}")
            membership = memberships.filter(user__username=username).first()
            if membership is None or not membership.has_role(Role.LEAD):
                raise CommandError(f"{username} is not a lead or custodian of {study.slug}")
            return membership
        membership = memberships.filter(role=Role.CUSTODIAN).order_by("added_at").first()
        if membership is None:
            raise CommandError(f"{study.slug} has no custodian to import as; give --as USERNAME")
        return membership

    def participant(self, study: Study, pseudonym: str | None) -> Participant | None:
        if not pseudonym:
            return None
        participant = Participant.objects.filter(
            study=study, pseudonym__iexact=pseudonym, withdrawn_at=None
        ).first()
        if participant is None:
            raise CommandError(f"no participant {pseudonym!r} in {study.slug}")
        return participant

    def source_project(self, study: Study, name: str | None) -> SourceProject | None:
        if not name:
            return None
        project = SourceProject.objects.filter(study=study, name=name).first()
        if project is None:
            raise CommandError(f"no source project named {name!r} in {study.slug}")
        return project
