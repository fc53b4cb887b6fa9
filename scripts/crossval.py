"""NLU cross-validation on fixed folds, with the per-intent table and the fallback thresholds.

    python scripts/crossval.py [--folds 5] [--config config.yml] [--out results/crossval]
    python scripts/crossval.py --report results/crossval          # the tables again, no training

Why not `rasa test nlu --cross-validation`: its StratifiedKFold has no random_state, so two
configurations are never compared on the same folds, and it keeps only the top intent, which
cannot tune `ambiguity_threshold`. Here the folds are fixed by `--fold-seed` (stratified on the
full label, `faq/<topic>` included), every test message is parsed by the fold's model
(Rasa's `train_nlu`, the same call as Rasa's cross-validation) and its prediction is kept in
`predictions.jsonl`: label, the top two intents with confidences before FallbackClassifier,
the response selector's topic, predicted and annotated entities.

Printed: intent F1 per intent and macro-F1 (faq as one intent, as `rasa test nlu` counts it,
and with faq split into its topics), entity F1 (entity, value and span must all match), and a
table of FallbackClassifier thresholds: how often a wrong intent would pass with confidence,
against how often a right one would get «не понял, уточните».
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]


def _value(v) -> str:
    try:
        return f"{float(v):.6g}" if abs(float(v)) < 1e6 else str(int(float(v)))
    except (TypeError, ValueError):
        return str(v)


def _label(msg) -> str:
    return msg.get("intent_response_key") or msg.get("intent")


def make_folds(examples, n: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    labels = [_label(m) for m in examples]
    skf = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return [(list(tr), list(te)) for tr, te in skf.split(examples, labels)]


def _scaled_config(config: Path, scale: float, tmp: Path) -> Path:
    """The same pipeline with every `epochs` multiplied (a quicker proxy for decisions)."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for comp in data.get("pipeline", []):
        if "epochs" in comp:
            comp["epochs"] = max(1, int(round(comp["epochs"] * scale)))
    out = tmp / "config.yml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


async def _predict(processor, examples) -> List[dict]:
    from rasa.core.channels import UserMessage

    rows = []
    for m in examples:
        result = await processor.parse_message(UserMessage(text=m.get("text")), only_output_properties=False)
        ranking = [r for r in (result.get("intent_ranking") or []) if r.get("name") != "nlu_fallback"]
        top = ranking[:2] + [{"name": None, "confidence": 0.0}] * (2 - len(ranking[:2]))
        predicted = top[0]["name"]
        if predicted == "faq":
            selectors = result.get("response_selector") or {}
            sel = selectors.get("faq") or selectors.get("default") or {}
            key = ((sel.get("response") or {}).get("intent_response_key")) or "faq"
            predicted_full = key
        else:
            predicted_full = predicted
        rows.append({
            "text": m.get("text"),
            "label": _label(m),
            "intent": m.get("intent"),
            "predicted": predicted,
            "predicted_full": predicted_full,
            "confidence": top[0]["confidence"],
            "second": top[1]["name"],
            "second_confidence": top[1]["confidence"],
            "ranking": {r["name"]: round(r["confidence"], 5) for r in ranking},
            "entities": [[e["entity"], _value(e.get("value")), e["start"], e["end"]] for e in m.get("entities") or []],
            "predicted_entities": [[e["entity"], _value(e.get("value")), e["start"], e["end"]]
                                   for e in result.get("entities") or []],
        })
    return rows


def run(args) -> Path:
    import rasa.model_training
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(ROOT / args.data))
    examples = data.intent_examples
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    pred_file = out / "predictions.jsonl"
    pred_file.write_text("")
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = ROOT / args.config
        if args.epochs_scale != 1.0:
            config = _scaled_config(config, args.epochs_scale, tmp)
        folds = make_folds(examples, args.folds, args.fold_seed)
        for i, (train_idx, test_idx) in enumerate(folds):
            if args.only_folds and i >= args.only_folds:
                break
            train = TrainingData(training_examples=[examples[j] for j in train_idx],
                                 responses=data.responses)
            train_file = tmp / "train.yml"
            RasaYAMLWriter().dump(train_file, train)
            t0 = time.time()
            model = rasa.model_training.train_nlu(str(config), str(train_file), str(tmp / f"m{i}"))
            processor = Agent.load(model).processor
            rows = asyncio.run(_predict(processor, [examples[j] for j in test_idx]))
            for r in rows:
                r["fold"] = i
            with pred_file.open("a", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            print(f"fold {i + 1}/{args.folds}: {len(rows)} messages, {time.time() - t0:.0f} s", flush=True)
    (out / "crossval_meta.json").write_text(json.dumps({
        "config": args.config, "folds": args.folds, "fold_seed": args.fold_seed,
        "epochs_scale": args.epochs_scale, "examples": len(examples),
        "seconds": round(time.time() - started),
    }))
    return out


def _f1_table(pairs) -> Dict[str, dict]:
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs if p})
    tp, fp, fn = Counter(), Counter(), Counter()
    for t, p in pairs:
        if t == p:
            tp[t] += 1
        else:
            fn[t] += 1
            if p:
                fp[p] += 1
    table = {}
    for lab in labels:
        prec = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
        rec = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        table[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp[lab] + fn[lab]}
    return table


def macro(table) -> float:
    rows = [v["f1"] for v in table.values() if v["support"]]
    return sum(rows) / len(rows) if rows else 0.0


def entity_f1(rows) -> Dict[str, dict]:
    """An entity counts when type and value agree and the spans overlap (as `rasa test nlu`
    matches entities to tokens: «5%» annotated with its sign, found without it, is one)."""
    tp, fp, fn = Counter(), Counter(), Counter()

    def same(a, b):
        return a[0] == b[0] and str(a[1]).lower() == str(b[1]).lower() and a[2] < b[3] and b[2] < a[3]

    for r in rows:
        pred = [tuple(e) for e in r["predicted_entities"]]
        for g in map(tuple, r["entities"]):
            hit = next((p for p in pred if same(g, p)), None)
            if hit:
                tp[g[0]] += 1
                pred.remove(hit)
            else:
                fn[g[0]] += 1
        for p in pred:
            fp[p[0]] += 1
    out = {}
    for name in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[name] / (tp[name] + fp[name]) if tp[name] + fp[name] else 0.0
        r = tp[name] / (tp[name] + fn[name]) if tp[name] + fn[name] else 0.0
        out[name] = {"f1": 2 * p * r / (p + r) if p + r else 0.0, "support": tp[name] + fn[name]}
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    p = all_tp / (all_tp + all_fp) if all_tp + all_fp else 0.0
    r = all_tp / (all_tp + all_fn) if all_tp + all_fn else 0.0
    out["micro avg"] = {"f1": 2 * p * r / (p + r) if p + r else 0.0, "support": all_tp + all_fn}
    return out


def fallback_table(rows, thresholds, ambiguities):
    """For each (threshold, ambiguity): wrong answers given with confidence, right ones lost."""
    n = len(rows)
    out = []
    for th in thresholds:
        for amb in ambiguities:
            wrong_sure = right_asked = wrong_asked = 0
            for r in rows:
                asked = r["confidence"] < th or (r["confidence"] - r["second_confidence"]) < amb
                right = r["predicted"] == r["intent"]
                if asked and right:
                    right_asked += 1
                elif asked:
                    wrong_asked += 1
                elif not right:
                    wrong_sure += 1
            # the clarification offers the two most likely intents: is the right one among them?
            out.append({"threshold": th, "ambiguity": amb, "wrong_confident": wrong_sure / n,
                        "asked": (right_asked + wrong_asked) / n, "right_asked": right_asked / n})
    return out


def report(out: Path, write_json: bool = True) -> dict:
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    # «/manager», «/start»: Telegram commands, which Rasa reads as the intent they name, not NLU
    rows = [r for r in rows if not r["text"].startswith("/")]
    meta = json.loads((out / "crossval_meta.json").read_text()) if (out / "crossval_meta.json").exists() else {}
    intents = _f1_table([(r["intent"], r["predicted"]) for r in rows])
    full = _f1_table([(r["label"], r["predicted_full"]) for r in rows])
    ents = entity_f1(rows)
    print(f"\nПерекрёстная проверка: {meta.get('folds', '?')} фолдов (seed фолдов {meta.get('fold_seed', '?')}), "
          f"{len(rows)} фраз, {meta.get('config', '')}, эпохи ×{meta.get('epochs_scale', 1)}, "
          f"{meta.get('seconds', '?')} с")
    print(f"\n{'интент':<24} {'F1':>6} {'точн.':>6} {'полн.':>6} {'фраз':>5}")
    for lab, v in sorted(intents.items(), key=lambda kv: kv[1]["f1"]):
        if v["support"]:
            flag = "  <-- ниже 0,80" if v["f1"] < 0.80 else ""
            print(f"{lab:<24} {v['f1']:6.3f} {v['precision']:6.3f} {v['recall']:6.3f} {v['support']:5d}{flag}")
    print(f"{'intent macro-F1':<24} {macro(intents):6.3f}")
    faq = {k: v for k, v in full.items() if k.startswith("faq/") and v["support"]}
    print("\nfaq по темам (интент и тема вместе): " + ", ".join(f"{k[4:]} {v['f1']:.2f}" for k, v in sorted(faq.items())))
    print(f"macro-F1 с темами faq как отдельными интентами: {macro(full):.3f}")
    print("\nсущности (тип и значение совпадают, границы пересекаются): "
          + ", ".join(f"{k} {v['f1']:.3f}" for k, v in ents.items() if k != "micro avg"))
    print(f"entity micro-F1 {ents['micro avg']['f1']:.3f} ({ents['micro avg']['support']} сущностей)")
    confusions = Counter((r["intent"], r["predicted"]) for r in rows if r["intent"] != r["predicted"])
    print("\nчастые путаницы (верный → предсказанный): "
          + "; ".join(f"{a} → {b} ×{c}" for (a, b), c in confusions.most_common(12)))
    table = fallback_table(rows, [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7], [0.0, 0.05, 0.1, 0.15, 0.2])
    in_top2 = sum(1 for r in rows if r["intent"] in (r["predicted"], r["second"])) / max(1, len(rows))
    print(f"\nпороги FallbackClassifier (доля всех фраз; верный интент среди двух первых — {in_top2:.1%}):")
    print(f"{'threshold':>9} {'ambiguity':>9} {'неверно, но уверенно':>21} {'переспрошено':>13} {'из них верных':>14}")
    for t in table:
        print(f"{t['threshold']:9.2f} {t['ambiguity']:9.2f} {t['wrong_confident']:21.1%} {t['asked']:13.1%} {t['right_asked']:14.1%}")
    summary = {"intent_macro_f1": macro(intents), "intent_macro_f1_faq_topics": macro(full),
               "intents": intents, "entities": ents, "fallback": table, "meta": meta}
    if write_json:
        (out / "crossval_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fold-seed", type=int, default=42)
    ap.add_argument("--only-folds", type=int, default=0, help="train only the first N folds (a quick proxy)")
    ap.add_argument("--config", default="config.yml")
    ap.add_argument("--data", default="data/nlu")
    ap.add_argument("--out", default="results/crossval")
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--report", metavar="DIR", help="only print the tables of an earlier run")
    args = ap.parse_args()
    if args.report:
        report(ROOT / args.report)
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import warnings

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    # every faq example warns that data/nlu holds no responses (they are in domain/faq.yml)
    warnings.filterwarnings("ignore", category=UserWarning)
    sys.path.insert(0, str(ROOT))
    out = run(args)
    report(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
