"""The full model as a spreadsheet: summary, inputs, assumptions, quarterly flows."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wewall.calculator.assumptions import LABELS as ASSUMPTION_LABELS
from wewall.vocabulary import KIND_NAMES, REPAIRS_NAMES

MONEY = '#,##0;[Red]-#,##0'
INPUT_LABELS = {
    "kind": "Тип помещения",
    "area_m2": "Площадь, м²",
    "price_per_m2": "Цена покупки, ₽/м²",
    "repairs": "Отделка",
    "nds_rate": "НДС, %",
    "estate_class": "Класс здания",
    "metro_station": "Станция метро",
    "distance_to_metro_m": "До метро, м",
    "readiness": "Срок готовности",
    "tranches": "Транши, %",
    "monthly_rent_rub": "Аренда в месяц, ₽",
    "sale_price_per_m2_ready": "Цена готового помещения сегодня, ₽/м²",
    "as_of": "Дата расчёта",
    "rent_rate": "Ставка аренды (задана), ₽/м²/год",
    "price_ready": "Цена готового (задана), ₽/м²",
    "cadastral": "Кадастровая стоимость (задана), ₽/м²",
}
COMPONENT_LABELS = {
    "purchase": "Покупка",
    "fitout": "Отделка",
    "rent": "Аренда",
    "rent_tax": "Налог с аренды",
    "property_tax": "Налог на имущество",
    "terminal_value": "Стоимость в конце срока",
    "terminal_tax": "Налог со стоимости в конце срока",
    "sale": "Продажа",
    "sale_tax": "Налог с продажи",
}
TOTAL_LABELS = {
    "purchase": "Покупка",
    "fitout": "Отделка",
    "rent_income": "Доход от аренды",
    "terminal_value": "Стоимость в конце срока",
    "taxes": "Налоги (сценарий аренды)",
    "rent_net": "Чистый результат (аренда)",
    "sale_income": "Доход от продажи",
    "sale_tax": "Налог с продажи",
    "sale_net": "Чистый результат (продажа)",
}


def _bold_row(ws, row: int) -> None:
    for cell in ws[row]:
        cell.font = Font(bold=True)


def _widths(ws, widths) -> None:
    for n, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = w


def _input_value(key, value):
    if key == "kind":
        return KIND_NAMES.get(value, value)
    if key == "repairs":
        return REPAIRS_NAMES.get(value, value)
    if key == "tranches":
        return ", ".join(f"{q}: {p:g}" for q, p in value.items())
    return value


def write_xlsx(result, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    d = result.to_dict()
    wb = Workbook()

    ws = wb.active
    ws.title = "Итоги"
    ws.append(["Показатель", "Значение"])
    _bold_row(ws, 1)
    ws.append(["IRR аренды, % годовых", d["rent_irr"]])
    ws.append(["IRR продажи после ввода, % годовых", d["sale_irr"]])
    for key, note in d["irr_notes"].items():
        ws.append([f"Примечание ({'аренда' if key == 'rent' else 'продажа'})", note])
    ws.append(["Оценка", d["verdict"]["text"]])
    ws.append(["Ставка аренды, ₽/м²/год", d["rent_rate"]])
    ws.append(["Цена готового помещения сегодня, ₽/м²", d["price_ready"]])
    ws.append(["Кадастровая стоимость, ₽/м²", d["cadastral"]])
    ws.append(["Ставка налога (УСН + НДС)", d["tax_rate"]])
    ws.append([])
    ws.append(["Итоги, ₽ (расходы со знаком минус)", ""])
    _bold_row(ws, ws.max_row)
    for key, value in d["totals"].items():
        if value is not None:
            ws.append([TOTAL_LABELS.get(key, key), value])
            ws.cell(ws.max_row, 2).number_format = MONEY
    _widths(ws, (44, 60))

    ws = wb.create_sheet("Исходные данные")
    ws.append(["Параметр", "Значение"])
    _bold_row(ws, 1)
    for key, value in d["inputs"].items():
        ws.append([INPUT_LABELS.get(key, key), _input_value(key, value)])
    ws.append(["Квартал сделки", d["deal_quarter"]])
    _widths(ws, (44, 40))

    ws = wb.create_sheet("Допущения")
    ws.append(["Допущение", "Значение", "Ключ"])
    _bold_row(ws, 1)
    for key, value in d["assumptions"].items():
        shown = ", ".join(f"{v:g}" for v in value) if isinstance(value, list) else value
        ws.append([ASSUMPTION_LABELS.get(key, key), shown, key])
    _widths(ws, (60, 16, 28))

    ws = wb.create_sheet("Потоки по кварталам")
    rent_cols = list(result.rent.components)
    header = ["Квартал"] + [COMPONENT_LABELS[c] for c in rent_cols] + ["Итого (аренда)", "Накопленный (аренда)"]
    sale_rows = d["sale_flows"] or []
    sale_cols = list(result.sale.components) if result.sale else []
    if sale_cols:
        header += [f"{COMPONENT_LABELS[c]} (продажа)" for c in sale_cols] + ["Итого (продажа)", "Накопленный (продажа)"]
    ws.append(header)
    _bold_row(ws, 1)
    for q, row in enumerate(d["flows"]):
        values = [row["label"]] + [row[c] for c in rent_cols] + [row["total"], row["cumulative"]]
        if sale_cols:
            if q < len(sale_rows):
                s = sale_rows[q]
                values += [s[c] for c in sale_cols] + [s["total"], s["cumulative"]]
            else:
                values += [None] * (len(sale_cols) + 2)
        ws.append(values)
        for cell in ws[ws.max_row][1:]:
            cell.number_format = MONEY
    ws.freeze_panes = "B2"
    _widths(ws, [10] + [18] * (len(header) - 1))

    wb.save(path)
    return path
