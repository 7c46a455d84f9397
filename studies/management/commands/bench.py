import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies import bench


class Command(BaseCommand):
    help = (
        "Run one fixed benchmark workload and print its figures as JSON (`make bench` runs them "
        "all and writes docs/performance.md), or `bench report FILE...` to turn result files into "
        "that page. Workloads: "
        + "; ".join(
            f"{name} ({workload.description})" for name, workload in sorted(bench.workloads.items())
        )
        + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("workload", choices=[*sorted(bench.workloads), "report"])
        parser.add_argument("files", nargs="*", help="For report: the JSON result files.")
        parser.add_argument(
            "--repeat", type=int, default=3, help="Runs of the workload (default 3)."
        )
        parser.add_argument(
            "--scale", type=int, default=1, help="The workload × this (10 for the 10× run)."
        )
        parser.add_argument(
            "--worker", action="store_true", help="Let the running Celery worker(s) do the work."
        )
        parser.add_argument("--json", dest="output", help="Also write the result to this file.")

    def handle(self, *args, workload: str, files: list[str], **options):
        if workload == "report":
            self.stdout.write(bench.report([json.loads(Path(name).read_text()) for name in files]))
            return
        if options["repeat"] < 1 or options["scale"] < 1:
            raise CommandError("--repeat and --scale must be at least 1")
        result = bench.workloads[workload].run(
            bench.Options(
                repeat=options["repeat"], scale=options["scale"], worker=options["worker"]
            )
        )
        text = json.dumps(result, indent=2)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n")
        self.stdout.write(text)
