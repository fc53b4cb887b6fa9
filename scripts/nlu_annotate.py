"""Plain sentences → Rasa NLU YAML annotated by the project's own entity extractor.

    python scripts/nlu_annotate.py raw.txt > data/nlu/new.yml

raw.txt: `## intent` (or `## faq/topic`) lines, then one sentence per line; `#` starts a comment.
Annotations are exactly what `wewall.nlu.entities.EntityExtractor` finds (the training data must
agree with it: tests/unit/test_nlu_featurizers.py), with the Moscow station list of the shared
metro file when it is there, else the stations already annotated in data/nlu. Read the output:
the extractor's mistakes become the data's.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRO = ROOT.parent / "shared" / "data" / "metro" / "hh_metro_all_cities_2023-10-16.json"


def station_names():
    if METRO.exists():
        from wewall.data.names import display_name

        data = json.loads(METRO.read_text(encoding="utf-8"))
        moscow = next(c for c in data if str(c.get("id")) == "1")
        return sorted({display_name(s["name"]) for line in moscow["lines"] for s in line["stations"]})
    found = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        found.update(re.findall(r'"entity": "metro_station", "value": "([^"]+)"', path.read_text(encoding="utf-8")))
    return sorted(found)


def value_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def annotate(text: str, extractor) -> str:
    out, pos = [], 0
    for e in extractor.extract(text):
        spec = {"entity": e["entity"], "value": value_text(e["value"])}
        if e.get("role"):
            spec["role"] = e["role"]
        out.append(text[pos:e["start"]])
        out.append(f"[{text[e['start']:e['end']]}]{json.dumps(spec, ensure_ascii=False)}")
        pos = e["end"]
    out.append(text[pos:])
    return "".join(out)


def convert(lines, extractor) -> str:
    blocks = []  # (intent, examples); a repeated `## intent` continues its block
    for raw in lines:
        line = raw.strip()
        if line.startswith("## "):
            intent = line[3:].strip()
            known = [b for b in blocks if b[0] == intent]
            blocks.append(known[0]) if known else blocks.append((intent, []))
            continue
        if not line or line.startswith("#"):
            continue
        blocks[-1][1].append(annotate(line, extractor))
    out = ['version: "3.1"', "nlu:"]
    done = set()
    for intent, examples in blocks:
        if intent in done or not examples:
            continue
        done.add(intent)
        out.append(f"- intent: {intent}")
        out.append("  examples: |")
        out.extend(f"    - {e}" for e in examples)
    return "\n".join(out) + "\n"


def main() -> int:
    from wewall.nlu.entities import EntityExtractor

    extractor = EntityExtractor(station_names())
    text = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
    sys.stdout.write(convert(text, extractor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
