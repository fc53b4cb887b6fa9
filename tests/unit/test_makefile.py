"""The Makefile's own help: every target a developer can type is listed by `make help`."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.findall(r"^([a-z][a-z-]*):(?!=)", text, re.M)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_help_lists_every_target():
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30, check=True).stdout
    listed = re.findall(r"^  make (\S+)", out, re.M)
    targets = _targets()
    assert len(targets) >= 15 and sorted(listed) == sorted(targets)


def test_every_target_is_phony():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY: (.*)$", text, re.M).group(1).split())
    assert set(_targets()) <= phony
