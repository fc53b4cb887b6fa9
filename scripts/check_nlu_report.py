"""Fails when the held-out NLU scores fall below the targets (intent macro-F1, entity F1).

Targets come from the environment so that the NLU issue can raise them as the data grows.
"""

import json
import os
import sys
from pathlib import Path

INTENT_MACRO_F1 = float(os.environ.get("WEWALL_MIN_INTENT_F1", "0.96"))
ENTITY_F1 = float(os.environ.get("WEWALL_MIN_ENTITY_F1", "0.95"))


def main(results: Path) -> int:
    ok = True
    intents = json.loads((results / "intent_report.json").read_text())
    macro = intents["macro avg"]["f1-score"]
    print(f"intent macro-F1: {macro:.3f} (цель ≥ {INTENT_MACRO_F1})")
    ok &= macro >= INTENT_MACRO_F1
    for report in sorted(results.glob("*Extractor_report.json")) + sorted(results.glob("DIETClassifier_report.json")):
        data = json.loads(report.read_text())
        for entity, scores in data.items():
            if entity in ("micro avg", "macro avg", "weighted avg", "accuracy", "no_entity") or not isinstance(scores, dict):
                continue
            f1 = scores["f1-score"]
            flag = "" if f1 >= ENTITY_F1 else "  <-- ниже цели"
            print(f"{report.stem}: {entity}: F1 {f1:.3f} (support {scores['support']}){flag}")
            ok &= f1 >= ENTITY_F1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")))
