"""The short Russian summary the bot sends with the chart: the IRR, the verdict, the key figures
and what the result rests on (the rent assumed and where it came from, the exit, taxes)."""

from __future__ import annotations

from typing import List, Optional

from wewall.calculator.inputs import is_building
from wewall.text import millions, num, percent
from wewall.vocabulary import FITOUT_NAMES, KIND_NAMES


def _irr_phrase(value, status: str) -> str:
    if value is not None:
        return f"{percent(value)} годовых"
    return "не определяется (вложения не окупаются)" if status == "no_inflows" else "не определяется"


def _quarters(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} квартал"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} квартала"
    return f"{n} кварталов"


def rent_source(result) -> str:
    """Where the rent rate comes from, in words."""
    r, i = result.rates, result.inputs
    if r.rent_rate_source == "tables":
        where = f"ставка класса {i.estate_class} у станции «{r.station or i.metro_station}»"
        if r.station_rates_source == "demo":
            where += " (демонстрационные ставки, не рыночные данные)"
        coeffs = []
        if r.k_distance is not None and abs(r.k_distance - 1) > 1e-9:
            coeffs.append(f"×{num(r.k_distance, 2)} за расстояние до метро")
        if r.k_area is not None and abs(r.k_area - 1) > 1e-9:
            coeffs.append(f"×{num(r.k_area, 2)} за площадь")
        return where + (", " + ", ".join(coeffs) if coeffs else "")
    if r.rent_rate_source == "monthly_rent":
        return f"из вашей оценки аренды {num(i.monthly_rent_rub, 0)} ₽ в месяц за всё помещение"
    return "задана в расчёте"


def assumptions_lines(result) -> List[str]:
    """What the IRR rests on, one line each."""
    a, i, r, case = result.assumptions, result.inputs, result.rates, result.case
    labels = result.rent.labels
    start = case.r + a.rent_start_lag
    lines = [
        f"• аренда {num(r.rent_rate, 0)} ₽ за м² в год ({num(r.rent_rate / 12, 0)} ₽ в месяц): {rent_source(result)}",
    ]
    # The model keeps its fit-out quarter for a unit that needs no repairs: that quarter is the search
    # for a tenant, and saying «отделка» to a client who said «ремонт не нужен» reads as a mistake.
    before_rent = "квартал на поиск арендатора" if i.repairs == "none" else "отделка"
    growth = f", до ввода растёт с инфляцией {num(a.ipc * 100)} % в год" if case.r > 0 else ""
    lines.append(
        f"• аренда поступает с {labels[start]}: {before_rent} и {_quarters(a.rent_holidays_quarters)} арендных каникул"
        f"{growth}, потом индексация {num(a.rent_indexation * 100)} % в год; простой арендатора сверх каникул не заложен"
    )
    tv = result.totals.get("terminal_value") or 0.0
    lines.append(
        f"• продажа в конце расчёта ({labels[-1]}) по ставке капитализации {num(a.cap_rate * 100)} %: "
        f"{millions(tv)} ({num(tv / i.area_m2, 0)} ₽ за м²)"
    )
    if is_building(i.kind) and r.price_ready is not None and result.sale is not None:
        sale_q = result.sale.labels[-1]
        grown = r.price_ready * (1 + a.ipc) ** (case.r / 4)
        lines.append(
            f"• готовый м² сейчас {num(r.price_ready, 0)} ₽, к продаже после ввода ({sale_q}) — {num(grown, 0)} ₽ "
            f"(рост {num(a.ipc * 100)} % в год)"
        )
    lines.append(
        f"• налоги: {num(case.tax_rate * 100)} % с доходов (УСН {num(a.income_tax * 100)} % + НДС {num(i.nds_rate)} %), "
        f"налог на имущество {num(a.property_tax * 100)} % в год от кадастровой стоимости {num(r.cadastral, 0)} ₽ за м²"
    )
    return lines


def market_line(market: Optional[dict]) -> Optional[str]:
    """«Медиана IRR похожих предложений в базе» when the base has some."""
    if not market or market.get("median_irr") is None or not market.get("count"):
        return None
    n = int(market["count"])
    word = "похожего предложения" if n % 10 == 1 and n % 100 != 11 else "похожих предложений"
    return f"Для сравнения: медиана IRR {n} {word} рядом в нашей базе — {percent(market['median_irr'])}."


def summary_text(result, market: Optional[dict] = None) -> str:
    """IRR with the verdict, the key figures in millions of ₽ with one decimal, and what the
    result rests on."""
    i, t, st = result.inputs, result.totals, result.irr_status
    head = f"{KIND_NAMES[i.kind]}, {num(i.area_m2)} м²"
    if i.readiness:
        head += f", ввод {i.readiness}"
    lines = [f"Вот оценка доходности вашего помещения: {head}.", ""]
    lines.append(f"IRR при сдаче в аренду: {_irr_phrase(result.rent_irr, st['rent'])}.")
    if is_building(i.kind):
        sale_q = result.sale.labels[-1]
        lines.append(f"IRR при продаже после ввода ({sale_q}): {_irr_phrase(result.sale_irr, st['sale'])}.")
    lines.append(result.verdict["text"])
    market_text = market_line(market)
    if market_text:
        lines.append(market_text)
    labels = result.rent.labels
    start = result.case.r + result.assumptions.rent_start_lag
    lines += ["", "Ключевые цифры:"]
    lines.append(f"• покупка — {millions(-t['purchase'])}")
    if t["fitout"]:
        lines.append(f"• отделка ({FITOUT_NAMES[i.repairs]}) — {millions(-t['fitout'])}")
    lines.append(f"• аренда с {labels[start]} по {labels[-1]} — {millions(t['rent_income'])}")
    lines.append(f"• стоимость объекта в {labels[-1]} — {millions(t['terminal_value'])}")
    lines.append(f"• налоги — {millions(-t['taxes'])}")
    lines.append(f"• чистый результат — {millions(t['rent_net'])}")
    if t.get("sale_income") is not None:
        lines.append(
            f"• продажа после ввода — {millions(t['sale_income'])} (чистый результат {millions(t['sale_net'])})"
        )
    lines += ["", "На чём основан расчёт:"]
    lines += assumptions_lines(result)
    return "\n".join(lines)
