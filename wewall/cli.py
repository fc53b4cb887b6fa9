"""The `wewall` command: data loading, the calculator and operator tools."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

from wewall import storage


def _echo(msg: str) -> None:
    print(msg, flush=True)


def _data(args) -> int:
    from wewall.data import commands
    from wewall.data.coeffs import RangeTableError

    try:
        with storage.writing(args.mongodb_uri) as db:
            if args.data_cmd == "load-demo":
                commands.load_demo(db, _echo, estates=args.estates, force=args.force)
            elif args.data_cmd == "import-stations":
                commands.import_stations(db, Path(args.hh_json), _echo)
            elif args.data_cmd == "load-coeffs":
                commands.load_coeffs(db, Path(args.file), _echo)
            elif args.data_cmd == "import-estates":
                commands.import_estates(db, [Path(f) for f in args.files], _echo, quiet=not sys.stderr.isatty())
            elif args.data_cmd == "precompute-irr":
                commands.precompute_irr(db, _echo, quiet=not sys.stderr.isatty())
            elif args.data_cmd == "stats":
                for line in commands.stats_lines(db):
                    print(line)
    except (ValueError, RangeTableError, storage.StorageError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wewall", description="WeWall Bot: данные, расчёт, интеграции")
    sub = parser.add_subparsers(dest="cmd", required=True)

    data = sub.add_parser("data", help="данные в хранилище документов")
    data.add_argument("--mongodb-uri", default=None, help="по умолчанию WEWALL_MONGODB_URI или встроенное хранилище")
    dsub = data.add_subparsers(dest="data_cmd", required=True)
    demo = dsub.add_parser("load-demo", help="демо-данные в пустые коллекции")
    demo.add_argument("--estates", type=int, default=300, help="сколько демо-предложений (по умолчанию 300)")
    demo.add_argument("--force", action="store_true", help="заменить и непустые коллекции")
    st = dsub.add_parser("import-stations", help="станции метро из ответа hh.ru /metro")
    st.add_argument("--hh-json", required=True, help="путь к JSON-файлу hh.ru")
    co = dsub.add_parser("load-coeffs", help="таблицы коэффициентов (JSON или CSV)")
    co.add_argument("file")
    ie = dsub.add_parser("import-estates", help="реальные предложения: карта БЦ (здания и лоты), ЦИАН CSV")
    ie.add_argument("files", nargs="+", metavar="FILE", help="файлы в любом порядке; формат определяется по содержимому")
    dsub.add_parser("precompute-irr", help="IRR аренды для предложений на продажу (финансовая модель)")
    dsub.add_parser("stats", help="что лежит в коллекциях")

    sub.add_parser("calc", help="расчёт доходности: wewall calc --json '{…}'", add_help=False)

    from wewall.crm.cli import add_parsers as add_crm_parsers

    add_crm_parsers(sub)  # `wewall amocrm …` and `wewall worker`

    from wewall.stats.cli import add_parser as add_stats_parser

    add_stats_parser(sub)  # `wewall stats`

    from wewall.leads.cli import add_parsers as add_leads_parsers

    add_leads_parsers(sub)  # `wewall leads …`
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Subcommands owned by their packages parse their own arguments.
    if argv and argv[0] == "calc":
        from wewall.calculator.cli import main as calc_main

        return calc_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.cmd == "data":
        return _data(args)
    if args.cmd == "leads":
        from wewall.leads.cli import run as leads_run

        return leads_run(args)
    if args.cmd in ("amocrm", "worker"):
        from wewall.crm.cli import run as crm_run

        return crm_run(args)
    if args.cmd == "stats":
        from wewall.stats.cli import run as stats_run

        return stats_run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
