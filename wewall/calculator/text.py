"""The short Russian summary the bot sends with the chart."""

from __future__ import annotations

from wewall.calculator.fmt import millions, num, percent
from wewall.calculator.inputs import KIND_NAMES, is_building

_REPAIRS = {"full": "полная", "partial": "частичная"}


def _irr_phrase(value, status: str) -> str:
    if value is not None:
        return f"{percent(value)} годовых"
    return "не определяется (вложения не окупаются)" if status == "no_inflows" else "не определяется"


def summary_text(result) -> str:
    """IRR with the verdict and the key figures in millions of ₽ with one decimal."""
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
    lines += ["", "Ключевые цифры:"]
    lines.append(f"• покупка — {millions(-t['purchase'])}")
    if t["fitout"]:
        lines.append(f"• отделка ({_REPAIRS[i.repairs]}) — {millions(-t['fitout'])}")
    years = result.assumptions.horizon_quarters // 4
    lines.append(f"• аренда за {years} лет — {millions(t['rent_income'])}")
    lines.append(f"• стоимость объекта через {years} лет — {millions(t['terminal_value'])}")
    lines.append(f"• налоги — {millions(-t['taxes'])}")
    lines.append(f"• чистый результат — {millions(t['rent_net'])}")
    if t.get("sale_income") is not None:
        lines.append(
            f"• продажа после ввода — {millions(t['sale_income'])} (чистый результат {millions(t['sale_net'])})"
        )
    return "\n".join(lines)
