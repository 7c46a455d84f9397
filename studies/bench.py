"""The benchmarks' registry. Each app registers its fixed workloads and the section of
docs/performance.md that reports them; `manage.py bench` runs one and `bench report` writes the
page. (Registered here, at the bottom of the import order, so that no app imports one above it.)"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    repeat: int
    scale: int
    worker: bool


@dataclass(frozen=True)
class Workload:
    name: str
    run: Callable[[Options], dict]  # the result's "workload" key is the name
    description: str


workloads: dict[str, Workload] = {}
reports: list[Callable[[list[dict]], list[str]]] = []


def register(name: str, run: Callable[[Options], dict], description: str) -> None:
    workloads[name] = Workload(name, run, description)


def register_report(section: Callable[[list[dict]], list[str]]) -> None:
    """A function from every result to the Markdown lines of its section ([] when none is its)."""
    reports.append(section)


def report(results: list[dict]) -> str:
    lines = [
        "# Performance",
        "",
        "Written by `make bench`: figures from one run on one machine, so compare the ratios, not",
        "the absolute times.",
    ]
    for section in reports:
        lines += section(results)
    return "\n".join(lines) + "\n"
