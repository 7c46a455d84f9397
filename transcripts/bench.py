"""The import benchmark: 14 one-hour interviews (about 9,500 words each) as typed .docx and as
Teams .vtt, from upload to stored turns, next to what python-docx and lxml alone take to read the
same .docx files in the same run. Generated and deterministic: the same files every run."""

import io
import statistics
import time
import uuid
import zipfile

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from docx import Document
from lxml import etree

from studies.bench import Options
from studies.models import Membership, Participant, Role, SourceProject, Study
from transcripts import services
from transcripts.demo import DEMO_INTERVIEWER, as_teams_vtt, as_verbatim_docx, interview
from transcripts.models import ImportJob, JobStatus

INTERVIEWS = 14
WORDS = 9_500


def workload(interviews: int = INTERVIEWS, words: int = WORDS) -> list[tuple[str, str, bytes]]:
    """(layout, pseudonym, file) for every interview in both layouts."""
    files = []
    for n in range(1, interviews + 1):
        turns, pseudonym = interview(n, words=words), f"P{n}"
        files.append(
            (
                "docx",
                pseudonym,
                as_verbatim_docx(
                    turns,
                    interviewer="Interviewer",
                    participant=pseudonym,
                    title=f"Interview {pseudonym}",
                ),
            )
        )
        files.append(
            (
                "vtt",
                pseudonym,
                as_teams_vtt(
                    turns, interviewer=DEMO_INTERVIEWER, participant=f"Person {n}", seed=n
                ),
            )
        )
    return files


def summary(seconds: list[float]) -> dict:
    milliseconds = [s * 1000 for s in seconds]
    return {
        "n": len(milliseconds),
        "median_ms": round(statistics.median(milliseconds), 2),
        "min_ms": round(min(milliseconds), 2),
        "max_ms": round(max(milliseconds), 2),
    }


def floors(files) -> dict:
    """What the libraries alone take to read each .docx: python-docx's paragraphs, and lxml on
    word/document.xml."""
    python_docx, lxml = [], []
    for layout, _pseudonym, data in files:
        if layout != "docx":
            continue
        started = time.perf_counter()
        [paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs]
        python_docx.append(time.perf_counter() - started)
        started = time.perf_counter()
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            etree.fromstring(package.read("word/document.xml"))
        lxml.append(time.perf_counter() - started)
    return {"python_docx_read": summary(python_docx), "lxml_read": summary(lxml)}


def fresh_study(user, interviews: int) -> tuple[Membership, dict[str, Participant]]:
    """A throwaway study with P1, P2 …, so that every run imports the same files anew."""
    study = Study.objects.create(
        slug=f"bench-{uuid.uuid4().hex[:10]}", title="Benchmark", research_question="?"
    )
    member = Membership.objects.create(study=study, user=user, role=Role.CUSTODIAN)
    project = SourceProject.objects.create(study=study, name="Benchmark")
    participants = {
        f"P{n}": Participant.objects.create(study=study, source_project=project, pseudonym=f"P{n}")
        for n in range(1, interviews + 1)
    }
    return member, participants


def import_in_process(files, user) -> dict:
    """Each file from upload to stored turns in this process (the embedded default's way)."""
    member, participants = fresh_study(user, len(files) // 2)
    per_layout: dict[str, list[float]] = {"docx": [], "vtt": []}
    started_all = time.perf_counter()
    for layout, pseudonym, data in files:
        started = time.perf_counter()
        (job,) = services.jobs_create(
            member=member,
            uploads=[services.Upload(f"{pseudonym}.{layout}", data)],
            participant=participants[pseudonym],
            speaker_map={DEMO_INTERVIEWER: "Interviewer"},
            user=user,
            queue_jobs=False,
        )
        services.job_process(job.pk)
        per_layout[layout].append(time.perf_counter() - started)
    total = time.perf_counter() - started_all
    _check_all_imported(member.study)
    return {
        "per_file": {layout: summary(times) for layout, times in per_layout.items()},
        "total_s": round(total, 3),
    }


def import_with_worker(files, user, *, timeout: float = 600) -> dict:
    """All files uploaded at once and read by the running Celery worker(s): time to the last one
    stored, and each file's time from upload to stored turns."""
    member, participants = fresh_study(user, len(files) // 2)
    started = time.perf_counter()
    jobs = []
    for layout, pseudonym, data in files:
        with transaction.atomic():
            jobs += services.jobs_create(
                member=member,
                uploads=[services.Upload(f"{pseudonym}.{layout}", data)],
                participant=participants[pseudonym],
                speaker_map={DEMO_INTERVIEWER: "Interviewer"},
                user=user,
            )
    while (
        ImportJob.objects.filter(pk__in=[job.pk for job in jobs])
        .exclude(status=JobStatus.IMPORTED)
        .exists()
    ):
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the worker did not import the workload in time")
        time.sleep(0.02)
    total = time.perf_counter() - started
    stored = {
        job.pk: (job.updated_at - job.created_at).total_seconds()
        for job in ImportJob.objects.filter(pk__in=[job.pk for job in jobs])
    }
    per_layout = {"docx": [], "vtt": []}
    for (layout, _pseudonym, _data), job in zip(files, jobs, strict=True):
        per_layout[layout].append(stored[job.pk])
    _check_all_imported(member.study)
    return {
        "per_file": {layout: summary(times) for layout, times in per_layout.items()},
        "total_s": round(total, 3),
    }


def _check_all_imported(study: Study) -> None:
    jobs = ImportJob.objects.filter(study=study)
    failed = [job.error for job in jobs if job.status != JobStatus.IMPORTED]
    if failed:
        raise RuntimeError(f"the benchmark's files did not all import: {failed[:3]}")


def backend() -> str:
    return connection.vendor


FIRST_NAMES = [
    "Ada",
    "Basil",
    "Cora",
    "Dermot",
    "Elspeth",
    "Fergus",
    "Greta",
    "Hamish",
    "Iona",
    "Jasper",
    "Keziah",
    "Lorcan",
    "Marisol",
    "Nye",
    "Orla",
    "Percival",
    "Quilla",
    "Rufus",
    "Saoirse",
    "Tamsin",
    "Ulric",
    "Verity",
    "Wendell",
    "Xanthe",
    "Yusuf",
    "Zinnia",
    "Alaric",
    "Bronwen",
    "Cosmo",
    "Delphine",
    "Emrys",
    "Fenella",
    "Gideon",
    "Hester",
    "Ignatius",
    "Juno",
    "Kit",
    "Leopold",
    "Mirabel",
    "Nico",
    "Ottilie",
    "Piers",
    "Rosalind",
    "Sebastian",
    "Tobias",
    "Una",
    "Valentine",
    "Wilfred",
    "Ysolde",
    "Zeb",
]
SURNAMES = [
    "Abernethy",
    "Blackwood",
    "Carrow",
    "Dunmore",
    "Ellery",
    "Fairweather",
    "Gallimore",
    "Hartigan",
    "Inchbald",
    "Jolliffe",
    "Kettleby",
    "Lovibond",
    "Mountjoy",
    "Northcott",
    "Oldroyd",
    "Pennefather",
    "Quarrie",
    "Rowntree",
    "Stenhouse",
    "Treloar",
    "Underhill",
    "Vosper",
    "Winterbottom",
    "Yeardley",
    "Zouche",
    "Ashdown",
    "Braithwaite",
    "Cheetham",
    "Dalrymple",
    "Everard",
    "Fothergill",
    "Grimshaw",
    "Heseltine",
    "Ibbotson",
    "Jellicoe",
    "Kilbride",
    "Lumsden",
    "Merriweather",
    "Nettleship",
    "Ormerod",
]


def detection_workload(interviews: int = INTERVIEWS, words: int = WORDS):
    """The import workload's interviews as text (each greeting its participant by name), the 14
    participants' names as vault entries, and a 2,000-entry deny-list of other people."""
    from transcripts.anonymise.detect import Entry

    names = [f"{FIRST_NAMES[n % 50]} {SURNAMES[(n * 7) % 40]}" for n in range(1, interviews + 1)]
    texts = [
        "\n\n".join(t.text for t in interview(n, words=words, name=names[n - 1]))
        for n in range(1, interviews + 1)
    ]
    entries = [Entry(name, "person", "[participant]", "vault") for name in names]
    entries += [
        Entry(f"{first} {last}", "person", "[colleague]", "deny-list")
        for first in FIRST_NAMES
        for last in SURNAMES
    ]
    return texts, entries, ["CBT", "NHS", "Teams", "Zoom"]


def run_import(options: Options) -> dict:
    """The import workload, in-process or with the running worker(s)."""
    user, _ = get_user_model().objects.get_or_create(
        username="benchmark", defaults={"is_active": False}
    )
    files = workload(interviews=INTERVIEWS * options.scale)
    runs = [
        import_with_worker(files, user) if options.worker else import_in_process(files, user)
        for _ in range(options.repeat)
    ]
    floor = floors(files)
    docx = statistics.median(run["per_file"]["docx"]["median_ms"] for run in runs)
    marginal = statistics.median(run["total_s"] * 1000 / len(files) for run in runs)
    result = {
        "workload": "import",
        "backend": backend() + (" + worker" if options.worker else " (tasks in-process)"),
        "files": len(files),
        "repeat": options.repeat,
        "runs": runs,
        "floor": floor,
        "import_docx_median_ms": docx,
        "import_vtt_median_ms": statistics.median(
            run["per_file"]["vtt"]["median_ms"] for run in runs
        ),
        "marginal_ms_per_file": round(marginal, 2),
        "total_s": statistics.median(run["total_s"] for run in runs),
        "ratio_marginal_to_python_docx": round(
            marginal / floor["python_docx_read"]["median_ms"], 2
        ),
        "ratio_marginal_to_lxml": round(marginal / floor["lxml_read"]["median_ms"], 2),
    }
    return result


def run_detect(options: Options) -> dict:
    from transcripts.anonymise.detect import benchmark_detection

    texts, entries, allow = detection_workload(interviews=INTERVIEWS * options.scale)
    result = benchmark_detection(texts, entries, allow=allow, repeat=options.repeat)
    return {"workload": "detect", "transcripts": len(texts), "entries": len(entries), **result}


def report_section(results: list[dict]) -> list[str]:
    imports = [result for result in results if result["workload"] == "import"]
    detections = [result for result in results if result["workload"] == "detect"]
    if not imports and not detections:
        return []
    lines = [
        "",
        "## Import",
        "",
        "Generated one-hour interviews of about 9,500 words, each as a typed .docx and as a Teams",
        ".vtt (14 interviews, and 140 for the 10× run); every file is taken from upload to stored",
        "turns and compared with what python-docx and lxml alone take to read the same .docx files",
        "in the same run. *Marginal* is the whole batch's time divided by its files; with a worker,",
        "the per-file times include waiting in the queue behind the others.",
        "",
        "| backend | files | per file, upload → stored: .docx / .vtt (median) | marginal per file | total "
        "| python-docx read | lxml read | marginal ÷ python-docx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in imports:
        floor = result["floor"]
        lines.append(
            f"| {result['backend']} | {result['files']} "
            f"| {result['import_docx_median_ms']} / {result['import_vtt_median_ms']} ms "
            f"| {result['marginal_ms_per_file']} ms | {result['total_s']} s "
            f"| {floor['python_docx_read']['median_ms']} ms | {floor['lxml_read']['median_ms']} ms "
            f"| {result['ratio_marginal_to_python_docx']}× |"
        )
    if detections:
        lines += [
            "",
            "## Identifier detection",
            "",
            "The same interviews as text, each greeting its participant by name; the participants'",
            "names from the vault and a 2,000-entry deny-list, against one plain regex pass over the",
            "same text (`\\w+`: every word read) and a naive alternation regex of the same entries.",
            "",
            "| transcripts | entries | detection | plain regex pass | ratio | naive alternation | building the detector |",
            "|---|---|---|---|---|---|---|",
        ]
        for result in detections:
            lines.append(
                f"| {result['transcripts']} | {result['entries']} | {result['detect_ms']} ms "
                f"| {result['regex_scan_ms']} ms | {result['ratio']}× | {result['alternation_regex_ms']} ms "
                f"| {result['build_ms']} ms |"
            )
    return lines
