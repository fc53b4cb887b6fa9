"""Throughput of wewall.nlu.numbers.extract_numbers on typical client sentences.

    .venv/bin/python bench/bench_numbers.py [--n 5000]
    .venv/bin/python -m bench bench_numbers

Sentences are 8–15 words, built from templates with random numbers (digits
and words) so no sentence repeats; two templates of twelve carry no number at all.
Prints sentences/s with the shape cache emptied first (its warm-up is part of
the figure), with it warm, and with no cache at all (the parser on every run).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from num2words import num2words

from bench.table import print_table
from wewall.nlu.numbers import RUN_PARSER, bench
from wewall.nlu.quantities import extract_quantities

TEMPLATES = [
    "Ищу офис в аренду площадью {area} квадратных метров недалеко от центра",
    "Бюджет примерно {money} рублей в месяц, можно чуть больше если объект хороший",
    "Нужно помещение на {area} м2, не дальше {minutes} минут пешком от метро",
    "Хочу купить офис для инвестиций за {money} с доходностью от {pct} процентов",
    "Рассмотрю варианты до {money_digits} ₽, класс А или Б, с отделкой",
    "Сдача объекта планируется в {ordinal} квартале {year} года, это нормально?",
    "А можно посмотреть что-нибудь у Белорусской, минут {minutes} на машине",
    "Площадь от {area_digits} до {area2_digits} метров, этаж не ниже {floor}",
    "Подскажите пожалуйста, какая окупаемость будет у такого торгового помещения",
    "Спасибо, давайте запишемся на просмотр в субботу после обеда",
    "Капитализация около {pct_digits}%, арендатор сетевой, договор на {years} лет",
    "Меня интересует стрит-ритейл с арендатором, цена за метр {money_words}",
]


def _words(n: int) -> str:
    return num2words(n, lang="ru")


def make_sentences(count: int, seed: int = 2027) -> list[str]:
    rnd = random.Random(seed)
    sentences = []
    for _ in range(count):
        template = rnd.choice(TEMPLATES)
        sentences.append(template.format(
            area=_words(rnd.randint(20, 3000)),
            area_digits=rnd.randint(20, 3000),
            area2_digits=rnd.randint(3000, 9000),
            money=rnd.choice([
                f"{rnd.randint(1, 99)},{rnd.randint(1, 9)} млн",
                f"{rnd.randint(100, 999)} тысяч",
                f"{_words(rnd.randint(2, 900))} миллионов",
                f"{rnd.randint(100, 999)}к",
            ]),
            money_digits=f"{rnd.randint(1, 999):d} {rnd.randint(0, 999):03d} 000",
            money_words=_words(rnd.randint(100_000, 900_000)),
            minutes=_words(rnd.randint(2, 30)),
            pct=_words(rnd.randint(3, 20)),
            pct_digits=rnd.randint(3, 20),
            ordinal=num2words(rnd.randint(1, 4), lang="ru", to="ordinal")[:-2] + "ем",
            year=rnd.randint(2025, 2030),
            floor=rnd.randint(1, 40),
            years=rnd.randint(3, 15),
        ))
    return sentences


def _quantities_rate(sentences: list[str]) -> float:
    RUN_PARSER.clear()
    started = time.perf_counter()
    for sentence in sentences:
        extract_quantities(sentence)
    return len(sentences) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="how many sentences")
    # parse_known_args: `python -m bench bench_numbers` passes its own argv on.
    args, _ = parser.parse_known_args()
    sentences = make_sentences(args.n)
    words = sum(len(s.split()) for s in sentences) / len(sentences)
    bench(sentences[:200])  # warm up the interpreter; bench() empties the cache again
    rows = [
        ("extract_numbers, shape cache emptied first", bench(sentences, cold=True)),
        ("extract_numbers, shape cache warm", bench(sentences, cold=False)),
        ("extract_numbers, no cache (yargy on every run)", bench(sentences[:1000], cache=False)),
        ("extract_quantities, shape cache emptied first", _quantities_rate(sentences)),
    ]
    print(f"{args.n} sentences, {words:.1f} words on average, one core")
    print_table(["what", "sentences/s"], [(name, f"{rate:,.0f}") for name, rate in rows])
    print(f"\ngoal ≥ 2 000 sentences/s: {'met' if rows[0][1] >= 2000 else 'NOT met'}")


if __name__ == "__main__":
    main()
