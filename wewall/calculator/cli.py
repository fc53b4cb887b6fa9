"""`wewall calc`: the finance model from the command line.

    wewall calc --json '{"kind": "finished_office", "area_m2": 700, ...}'
    echo '{...}' | wewall calc --json -
    wewall calc --file inputs.json [--mongodb-uri URI] [--assumptions JSON]
                [--chart out.png] [--xlsx out.xlsx] [--text]

`main(argv)` receives the arguments after `calc`. Exit codes: 0 done, 2 bad input,
3 a manager must compute this case (VAT 20 %), 4 the rate tables cannot be read, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from wewall.calculator.errors import CalculationError, ManagerRequired, RatesUnavailable

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_MANAGER, EXIT_NO_RATES = 0, 1, 2, 3, 4


class _UsageError(Exception):
    pass


# argparse speaks English; these are the messages a mistyped command line can produce.
_RU = (
    ("unrecognized arguments", "неизвестные аргументы"),
    ("expected one argument", "нужно значение"),
    ("not allowed with argument", "нельзя вместе с"),
    ("argument", "аргумент"),
)


class _Parser(argparse.ArgumentParser):
    # argparse would print English and exit the process; main() must return a code instead.
    def error(self, message: str):
        for en, ru in _RU:
            message = message.replace(en, ru)
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wewall calc", description="Оценка доходности (IRR) коммерческого помещения.")
    src = p.add_mutually_exclusive_group()  # «one of them is required» is checked in Russian below
    src.add_argument("--json", metavar="JSON", help="параметры расчёта в JSON; «-» — прочитать из stdin")
    src.add_argument("--file", metavar="PATH", help="файл с параметрами в JSON")
    p.add_argument("--mongodb-uri", help="откуда читать таблицы ставок (по умолчанию — из настроек)")
    p.add_argument("--assumptions", metavar="JSON", help="изменить допущения модели, например {\"cap_rate\": 0.09}")
    p.add_argument("--chart", metavar="PNG", help="сохранить график потоков")
    p.add_argument("--xlsx", metavar="XLSX", help="сохранить модель в Excel")
    p.add_argument("--text", action="store_true", help="вывести краткий текст для чата вместо JSON")
    return p


def _read_inputs(args) -> dict:
    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CalculationError(f"Не удалось прочитать файл {args.file}: {exc.strerror}") from None
    elif args.json == "-":
        text = sys.stdin.read()
    else:
        text = args.json
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalculationError(f"Параметры — не JSON: {exc.msg} (строка {exc.lineno}, позиция {exc.colno})") from None
    if not isinstance(data, dict):
        raise CalculationError("Параметры должны быть JSON-объектом: {\"kind\": …, \"area_m2\": …}")
    return data


def _assumptions(text: Optional[str]):
    from wewall.calculator.assumptions import DEFAULT, Assumptions

    if not text:
        return DEFAULT
    try:
        return Assumptions.from_dict(json.loads(text))
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise CalculationError(f"Не понимаю допущения --assumptions: {exc}") from None


def _run(args):
    from wewall.calculator.inputs import prepare
    from wewall.calculator.model import evaluate
    from wewall.calculator.rates import needs_coeffs, needs_station, resolve, resolve_from_db

    case = prepare(_read_inputs(args), _assumptions(args.assumptions))
    if needs_station(case) or needs_coeffs(case):
        # The store is opened only when a rate must come from the tables.
        from wewall import storage

        try:
            db = storage.get_db(args.mongodb_uri)
        except Exception as exc:  # pymongo raises on a malformed URI, the store on a broken folder
            raise RatesUnavailable(f"Не удалось открыть хранилище таблиц ставок: {exc}") from exc
        rates = resolve_from_db(case, db)
    else:
        rates = resolve(case)
    result = evaluate(case, rates)
    if args.chart:
        from wewall.calculator.chart import render_png

        render_png(result, args.chart)
    if args.xlsx:
        from wewall.calculator.xlsx import write_xlsx

        write_xlsx(result, args.xlsx)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        if args.json is None and args.file is None:
            raise _UsageError("укажите параметры: --json '{…}', --json - (из stdin) или --file PATH")
    except _UsageError as exc:
        usage = _parser().format_usage().replace("usage:", "Использование:", 1)
        print(f"Ошибка в аргументах: {exc}\n{usage}", file=sys.stderr, end="")
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        result = _run(args)
    except ManagerRequired as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_MANAGER
    except RatesUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NO_RATES
    except CalculationError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"Не удалось записать файл: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.text:
        from wewall.calculator.text import summary_text

        print(summary_text(result))
    else:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
