import json
import statistics
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from transcripts import bench


class Command(BaseCommand):
    help = (
        "Run a fixed benchmark workload and print its figures as JSON (`make bench` runs them all "
        "and writes docs/performance.md). Workloads: import (14 one-hour interviews as .docx and "
        "as Teams .vtt, from upload to stored turns, against python-docx and lxml reading the same "
        "files); detect (identifier detection over the same interviews with a 2,000-entry "
        "deny-list, against one plain regex pass). `bench report FILE...` turns result files into "
        "the Markdown tables."
    )

    def add_arguments(self, parser):
        parser.add_argument("workload", choices=["import", "detect", "report"])
        parser.add_argument("files", nargs="*", help="For report: the JSON result files.")
        parser.add_argument(
            "--repeat", type=int, default=3, help="Runs of the workload (default 3)."
        )
        parser.add_argument(
            "--scale", type=int, default=1, help="Interviews × this (10 for the 10× run)."
        )
        parser.add_argument(
            "--worker", action="store_true", help="Let the running Celery worker(s) read the files."
        )
        parser.add_argument("--json", dest="output", help="Also write the result to this file.")

    def handle(self, *args, workload: str, files: list[str], **options):
        if workload == "report":
            self.stdout.write(report([json.loads(Path(name).read_text()) for name in files]))
            return
        if options["repeat"] < 1 or options["scale"] < 1:
            raise CommandError("--repeat and --scale must be at least 1")
        if workload == "detect":
            self.emit(self.detect(options["scale"], options["repeat"]), options["output"])
            return
        user, _ = get_user_model().objects.get_or_create(
            username="benchmark", defaults={"is_active": False}
        )
        files = bench.workload(interviews=bench.INTERVIEWS * options["scale"])
        runs = [
            bench.import_with_worker(files, user)
            if options["worker"]
            else bench.import_in_process(files, user)
            for _ in range(options["repeat"])
        ]
        floor = bench.floors(files)
        docx = statistics.median(run["per_file"]["docx"]["median_ms"] for run in runs)
        marginal = statistics.median(run["total_s"] * 1000 / len(files) for run in runs)
        result = {
            "workload": "import",
            "backend": bench.backend()
            + (" + worker" if options["worker"] else " (tasks in-process)"),
            "files": len(files),
            "repeat": options["repeat"],
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
        self.emit(result, options["output"])

    def emit(self, result: dict, output: str | None) -> None:
        text = json.dumps(result, indent=2)
        if output:
            Path(output).write_text(text + "\n")
        self.stdout.write(text)

    def detect(self, scale: int, repeat: int) -> dict:
        from transcripts.anonymise.detect import benchmark_detection

        texts, entries, allow = bench.detection_workload(interviews=bench.INTERVIEWS * scale)
        result = benchmark_detection(texts, entries, allow=allow, repeat=repeat)
        return {"workload": "detect", "transcripts": len(texts), "entries": len(entries), **result}


def report(results: list[dict]) -> str:
    imports = [result for result in results if result["workload"] == "import"]
    detections = [result for result in results if result["workload"] == "detect"]
    lines = [
        "# Performance",
        "",
        "Written by `make bench`: figures from one run on one machine, so compare the ratios, not",
        "the absolute times.",
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
    return "\n".join(lines) + "\n"
