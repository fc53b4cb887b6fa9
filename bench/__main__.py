"""`make bench`: runs every bench/bench_*.py that has a main(), each printing its own table.

What each bench printed is also written into docs/benchmarks.md, between the markers of its
section (`bench.report`), so the page always holds the last run of every bench with its date and
the machine's speed; the commentary around the markers is written by people.
"""

import contextlib
import datetime
import importlib
import io
import pkgutil
import sys
import time
from pathlib import Path

from bench.report import BENCHMARKS_MD, write_sections


class _Tee(io.TextIOBase):
    """Prints as usual and keeps a copy: a long bench still shows its progress live."""

    def __init__(self, stream):
        self._stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self._stream.write(text)
        self._stream.flush()
        return self.copy.write(text)


def main() -> int:
    only = set(sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    outputs = {}
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n## {name}")
        started = time.perf_counter()
        tee = _Tee(sys.stdout)
        with contextlib.redirect_stdout(tee):
            module.main()
        elapsed = time.perf_counter() - started
        print(f"({elapsed:.1f} s)")
        outputs[name] = tee.copy.getvalue().rstrip() + f"\n({elapsed:.1f} s)"
    if outputs:
        write_sections(BENCHMARKS_MD, outputs, datetime.datetime.now())
        print(f"\nwritten to {BENCHMARKS_MD}: {', '.join(outputs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
