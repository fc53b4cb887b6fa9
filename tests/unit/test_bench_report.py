"""`make bench` writes each bench's last output into docs/benchmarks.md (bench/report.py)."""

import datetime
import re

import pytest

from bench.report import GENERATED_HEADING, update_sections

WHEN = datetime.datetime(2026, 12, 5, 21, 30)
LATER = datetime.datetime(2026, 12, 6, 9, 5)


def test_a_new_bench_gets_a_section_under_the_generated_heading_and_the_prose_stays():
    page = "# Замеры\n\nТекст людей.\n"
    out = update_sections(page, {"bench_nlu": "p95 7 ms"}, WHEN)
    assert out.startswith("# Замеры\n\nТекст людей.\n")
    assert GENERATED_HEADING in out
    assert "### bench_nlu — 05.12.2026 21:30" in out
    assert "```text\np95 7 ms\n```" in out


def test_a_rerun_replaces_only_its_own_section():
    page = update_sections("# Замеры\n", {"bench_nlu": "p95 7 ms", "bench_search": "p95 30 ms"}, WHEN)
    page += "\nКомментарий после секций.\n"
    out = update_sections(page, {"bench_nlu": "p95 9 ms"}, LATER)
    assert "p95 7 ms" not in out and "p95 9 ms" in out
    assert "### bench_nlu — 06.12.2026 09:05" in out
    assert "### bench_search — 05.12.2026 21:30" in out and "p95 30 ms" in out
    assert out.count(GENERATED_HEADING) == 1
    assert out.count("<!-- bench:bench_nlu -->") == 1
    assert out.rstrip().endswith("Комментарий после секций.")


@pytest.mark.parametrize("output", ["a ``` b", "````\nx"])
def test_output_with_backticks_cannot_break_the_block(output):
    out = update_sections("# Замеры\n", {"bench_x": output}, WHEN)
    body = out.split("<!-- bench:bench_x -->")[1].split("<!-- /bench:bench_x -->")[0]
    opening = re.search(r"^(`+)text$", body, re.M).group(1)
    longest_run = max(len(run) for run in re.findall(r"`+", output))
    assert len(opening) > longest_run
    assert body.rstrip().endswith("\n" + opening)
