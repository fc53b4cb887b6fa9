"""«Сколько стоит аренда офиса в среднем?»: a question about market prices, and its answer from the base.

Clients ask it before they search, and a definition of the ТТК is no answer to it. The question
is told by its words (a price word and a property word, and none of the words of another price:
repairs, our services, a calculation), whatever intent the NLU gave it, so the same question is
answered alike in the menu, in a form and under the fallback. The answer gives the medians of the
base by zone for the deal and type named (both deals and offices when none is), and says that these
are asking prices, not deals.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence

from wewall.search.market import ZonePrice
from wewall.text import count, num
from wewall.vocabulary import OFFER_ZONES

_PRICE = re.compile(
    r"сколько\s+(?:сто|будет\s+сто|примерно|в\s+среднем)|почем|по\s*ч[её]м|\bцен[аыуе]?\b|\bцены\b|стоимост|"
    r"ставк|в\s+среднем|средн\w+\s+(?:цен|стоимост|ставк|аренд)|рыночн\w+|расценк",
    re.I,
)
_PROPERTY = re.compile(r"офис|помещени|аренд|снять|сним|купить|покупк|продаж|метр|м2|м²|квадрат|недвижим|ритейл|торгов|"
                       r"псн|стрит|площад|магазин|кафе", re.I)
# another price the client may ask about: repairs, our work, the return of a unit, taxes
_OTHER = re.compile(r"ремонт|отделк|услуг|комисси|консультац|расч[её]т|посчита|irr|ирр|доходн|окупаем|налог|ндс|"
                    r"этот|этого|эту|за\s+\d|\d+\s*(?:млн|тыс|миллион)", re.I)

PER = {"rent": "₽ за м² в месяц", "sale": "₽ за м²"}
DEAL_WHAT = {"rent": "аренды", "sale": "продажи"}
TYPE_WHAT = {"office": "офисов", "retail": "торговых помещений"}
BUTTONS = [{"title": "Подобрать варианты", "payload": "/request_search"},
           {"title": "Связаться с менеджером", "payload": "/request_manager"}]

Prices = Callable[[str, str, Optional[str]], List[ZonePrice]]
NearStation = Callable[[str, str, Optional[str], str], Optional[ZonePrice]]


def asks_prices(text: str) -> bool:
    """A question about what offices or shops cost in general, not about one unit or our work."""
    text = text or ""
    return bool(_PRICE.search(text) and _PROPERTY.search(text) and not _OTHER.search(text))


def _line(where: str, row: ZonePrice) -> str:
    return f"• {where} — {num(round(row.median_ppm, -1), 0)} ({count(row.offers, 'предложение')})"


def _block(prices: Prices, near: Optional[NearStation], stations: List[str], deal: str, estate_type: str,
           estate_class: Optional[str]) -> Optional[str]:
    rows = prices(deal, estate_type, estate_class)
    by_station = [r for s in stations if near and (r := near(deal, estate_type, estate_class, s))]
    if not rows and not by_station:
        return None
    what = f"{DEAL_WHAT[deal]} {TYPE_WHAT[estate_type]}" + (f" класса {estate_class}" if estate_class else "")
    lines = [f"Медиана предложений {what}, {PER[deal]}:"]
    lines += [_line(f"у метро {r.zone} (до 1,5 км)", r) for r in by_station]
    lines += [_line(OFFER_ZONES[r.zone], r) for r in rows]
    return "\n".join(lines)


def answer(prices: Prices, deal: Optional[str], estate_type: Optional[str], estate_class: Optional[str],
           stations: Sequence[str] = (), near: Optional[NearStation] = None, offer_search: bool = True) -> str:
    """The answer: a block per deal asked (both when none is), for the type asked (offices when none
    is), the named stations' surroundings first. `offer_search`: end with the offer to search (not
    when the search is already opening)."""
    estate_type = estate_type if estate_type in TYPE_WHAT else "office"
    estate_class = estate_class if estate_class in ("A", "B") and estate_type == "office" else None
    deals = [deal] if deal in PER else ["rent", "sale"]
    blocks = [b for d in deals if (b := _block(prices, near, list(stations), d, estate_type, estate_class))]
    if not blocks:
        what = " и ".join(DEAL_WHAT[d] for d in deals)
        return (f"Сейчас в нашей базе слишком мало предложений {what} {TYPE_WHAT[estate_type]}, чтобы назвать "
                "среднюю цену. Менеджер подскажет цены по вашему запросу"
                + (", а я могу подобрать то, что есть." if offer_search else "."))
    text = "\n\n".join(blocks)
    return ("По нашей базе — " + text[0].lower() + text[1:] +
            "\n\nЭто цены предложений, а не сделок: итог зависит от здания, этажа, площади и торга."
            + (" Подобрать варианты под ваши условия?" if offer_search else ""))
