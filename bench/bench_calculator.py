"""How fast the finance model is: evaluations per second, ms per evaluation, chart render time.

    .venv/bin/python bench/bench_calculator.py [--n 2000] [--charts 5]

The goal is ≤ 5 ms per evaluation (validation, rates, flows, IRR, to_dict), so that the
dialogue can compute inline without a worker.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wewall.calculator import calculate
from wewall.calculator.examples import BUILDING, FINISHED


def _timed(fn, n: int) -> float:
    fn()  # warm-up: imports, caches
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--charts", type=int, default=5)
    args = p.parse_args()

    rows = []
    for name, inputs in (("finished_office", FINISHED), ("building_office", BUILDING)):
        per = _timed(lambda inputs=inputs: calculate(inputs).to_dict(), args.n)
        rows.append((f"model {name}", 1 / per, per * 1000))

    # Rates from the tables: pure (rows in hand) and through an in-memory store.
    from wewall import storage
    from wewall.data.coeffs import DEMO_COEFFS

    station = {"_id": "цска", "name": "ЦСКА", "name_key": "цска", "price_A": 400_000, "price_B": 300_000,
               "rent_A": 40_000, "rent_B": 30_000, "average_cadastral_value": 200_000}
    tables = {k: v for k, v in BUILDING.items() if k not in ("rent_rate", "price_ready", "cadastral")}
    tables.update(metro_station="ЦСКА", estate_class="A", distance_to_metro_m=400)
    coeff_rows = dict(distance_rows=DEMO_COEFFS["way_to_subway_coeffs"], square_rows=DEMO_COEFFS["square_coeffs"])
    per = _timed(lambda: calculate(tables, station=station, **coeff_rows).to_dict(), args.n)
    rows.append(("model building_office, tables", 1 / per, per * 1000))
    db = storage.get_db("mongomock://", name="bench_calculator")
    storage.replace_stations(db, [station])
    for table, data in DEMO_COEFFS.items():
        storage.replace_coeffs(db, table, data)
    per = _timed(lambda: calculate(tables, db=db).to_dict(), max(1, args.n // 10))
    rows.append(("model + mongomock reads", 1 / per, per * 1000))

    from wewall.calculator.chart import render_png
    from wewall.calculator.xlsx import write_xlsx

    result = calculate(BUILDING)
    with tempfile.TemporaryDirectory() as tmp:
        per = _timed(lambda: render_png(result, Path(tmp) / "c.png"), args.charts)
        rows.append(("chart render_png", 1 / per, per * 1000))
        per = _timed(lambda: write_xlsx(result, Path(tmp) / "m.xlsx"), args.charts)
        rows.append(("xlsx write_xlsx", 1 / per, per * 1000))

    print(f"{'what':<32}{'per second':>12}{'ms each':>10}")
    for name, rate, ms in rows:
        print(f"{name:<32}{rate:>12,.0f}{ms:>10.2f}")
    worst = max(ms for name, _, ms in rows if name.startswith("model ") and "mongomock" not in name)
    print(f"\nmodel goal ≤ 5 ms per evaluation: {'met' if worst <= 5 else 'NOT met'} ({worst:.2f} ms)")


if __name__ == "__main__":
    main()
