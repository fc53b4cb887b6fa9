"""Messages whose label disagrees with the `inform` / `request_search` rule of docs/nlu.md.

    python scripts/nlu_candidates.py [data/nlu tests/nlu/test_nlu.yml]
    python scripts/nlu_candidates.py --relabel decisions.tsv   # «text<TAB>intent» lines: move them

The rule («Граница inform / request_search» in docs/nlu.md): a message that asks to find, pick or
show offers, or says the client needs or wants to rent or buy a property (a search verb, or a
wish or deal verb with the property named), is `request_search`, with or without facts; facts
alone — values, criteria, a bare deal («купить», «хотим снять»), a wish about a criterion
(«хочу в центре», «нужно 150 кв.м») — are `inform`. The regexes below only approximate the rule
to list candidates: a person reads each one and decides (the data are relabelled by hand).
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEARCH = re.compile(
    r"\b(ищу|ищем|поищ\w*|найд\w*|найти|подбер\w*|подобра\w*|подбор\w*|подыщ\w*|подыска\w*|покаж\w*|"
    r"показ\w*|поиск\w*|что (у вас )?есть|какие (у вас )?(есть )?(вариант|офис|помещен|торгов)\w*|есть ли|"
    r"есть (еще )?(что|какие|офис\w*|помещени\w*|вариант\w*)|варианты есть|подскажите вариант\w*|"
    r"куда вложить|скин\w*|предложит\w*|посоветуйте объект\w*|присмотр\w*|подыскива\w*|падбер\w*|"
    r"подскажите помещени\w*|(что|че|чо) есть|есть (у вас )?(что|чтото|торгов\w*)|интересно посмотреть|podber\w*|ishu|naydi|najdi)\b")
WISH = re.compile(r"\b(хочу|хотим|хотел\w*|нужен|нужна|нужно|нужны|надо|требуется|планиру\w*|собира\w*|"
                  r"мне бы|hochu|nuzhen|nuzhno)\b")
DEAL = re.compile(r"\b(снять|купить|арендовать|приобрести|сниму|куплю|арендую|kupit|snyat|arendovat)\b")
OBJECT = re.compile(r"\b(офис\w*|помещени\w*|псн|площад\w*|недвижимост\w*|объект\w*|стрит|ритейл|точк\w*|"
                    r"склад\w*|торгов\w*|переговорк\w*|ofis\w*|pomesh\w*|что[ -]?(то|нибудь)|вариант\w*|предложени\w*|коммерческ\w*)\b")
# a request for a calculation or a question about the return is another intent's business
CALC = re.compile(r"посчита|расч[её]т|доходн|окупа|стоит ли|irr|рассчита")


def rule(text: str) -> str:
    t = text.lower().replace("ё", "е")
    if SEARCH.search(t):
        return "request_search"
    if (WISH.search(t) or DEAL.search(t)) and OBJECT.search(t):
        return "request_search"
    return "inform"


_ANNOTATION = re.compile(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))")


def plain(example_line: str) -> str:
    return _ANNOTATION.sub(r"\1", example_line.strip()[2:]).strip()


def relabel(decisions: dict, files=None) -> dict:
    """Move each decided example (found by its plain text in data/nlu or tests/nlu) to the end of
    its new intent's block in the same file, creating the block at the end of the file if needed.
    Returns the decisions no file held."""
    files = files or sorted((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / "tests" / "nlu" / "test_nlu.yml"]
    left = dict(decisions)
    for path in files:
        lines = path.read_text(encoding="utf-8").split("\n")
        moved = {}
        keep = []
        for line in lines:
            if line.startswith("    - ") and plain(line) in left:
                moved.setdefault(left.pop(plain(line)), []).append(line)
            else:
                keep.append(line)
        for intent, rows in moved.items():
            head = f"- intent: {intent}"
            if head in keep:
                i = keep.index(head) + 2
                while i < len(keep) and keep[i].startswith("    "):
                    i += 1
                keep[i:i] = rows
            else:
                while keep and not keep[-1]:
                    keep.pop()
                keep += [head, "  examples: |", *rows, ""]
        if moved:
            path.write_text("\n".join(keep), encoding="utf-8")
    return left


def main(paths) -> int:
    if paths[:1] == ["--relabel"]:
        rows = [line.split("\t") for line in Path(paths[1]).read_text(encoding="utf-8").splitlines() if "\t" in line]
        left = relabel({text.strip(): intent.strip() for text, intent in rows})
        if left:
            print("not found:", *left, sep="\n  ")
        return 1 if left else 0
    from rasa.shared.nlu.training_data.loading import load_data

    logging.getLogger("rasa").setLevel(logging.ERROR)
    for path in paths:
        examples = load_data(str(ROOT / path)).intent_examples
        found = [(m.get("intent"), rule(m.get("text")), m.get("text")) for m in examples
                 if m.get("intent") in ("inform", "request_search") and not CALC.search(m.get("text").lower())]
        wrong = [(label, want, text) for label, want, text in found if label != want]
        print(f"## {path}: {len(wrong)} of {len(found)} disagree with the rule")
        for label, want, text in sorted(wrong):
            print(f"{label:>15} → {want:<15} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["data/nlu", "tests/nlu/test_nlu.yml"]))
