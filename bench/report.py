"""docs/benchmarks.md keeps the last output of every bench between markers written by `make bench`.

One section per bench: `<!-- bench:NAME -->` … `<!-- /bench:NAME -->`. A run replaces only the
sections of the benches it ran (`python -m bench bench_nlu` refreshes one), and appends a section
the page does not have yet under «Последний прогон каждого бенча».
"""

import datetime
import re
from pathlib import Path
from typing import Mapping

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
GENERATED_HEADING = "## Последний прогон каждого бенча (пишет `make bench`)"


def _section(name: str, output: str, when: datetime.datetime) -> str:
    # A fence longer than any backtick run in the output keeps the block intact.
    fence = "```"
    while fence in output:
        fence += "`"
    return (
        f"<!-- bench:{name} -->\n"
        f"### {name} — {when:%d.%m.%Y %H:%M}\n\n"
        f"{fence}text\n{output}\n{fence}\n"
        f"<!-- /bench:{name} -->"
    )


def update_sections(page: str, outputs: Mapping[str, str], when: datetime.datetime) -> str:
    """The page with each bench's section replaced by its new output (or appended)."""
    for name, output in outputs.items():
        block = _section(name, output, when)
        pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
        if pattern.search(page):
            page = pattern.sub(lambda _, text=block: text, page, count=1)
            continue
        if GENERATED_HEADING not in page:
            page = page.rstrip("\n") + f"\n\n{GENERATED_HEADING}\n"
        page = page.rstrip("\n") + f"\n\n{block}\n"
    return page


def write_sections(path: Path, outputs: Mapping[str, str], when: datetime.datetime) -> None:
    page = path.read_text(encoding="utf-8") if path.exists() else "# Замеры\n"
    path.write_text(update_sections(page, outputs, when), encoding="utf-8")
