"""Analogs after a calculation: the comparison sentence and a short list, as the chat shows them."""

from __future__ import annotations

from typing import List, Optional

from wewall.text import num

SHOWN = 3


def offer_line(offer: dict) -> str:
    metro = (offer.get("metro") or [{}])[0] or {}
    where = f", м. {metro['station']}, {metro.get('walk_minutes', '?')} мин пешком" if metro.get("station") else ""
    price = offer.get("price_per_m2")
    price_text = f"{num(price, 0)} ₽/м²" if price else "цена по запросу"
    return f"• {offer.get('name', 'Объект')}: {num(offer.get('area_m2', 0))} м², {price_text}{where}"


def analogs_reply(calc_record: Optional[dict]) -> Optional[str]:
    """None without a recorded calculation; otherwise what the bot says (blocking: reads the index)."""
    if not calc_record or not calc_record.get("inputs"):
        return None
    from wewall import storage
    from wewall.data.nearest import StationLocator
    from wewall.search import get_engine

    db = storage.get_db()
    engine = get_engine(db)
    # A retail calculation compares its rent with rent offers (wewall.dialogue.calculation.analogs_subject).
    subject = calc_record.get("analogs_subject") or calc_record["inputs"]
    result = engine.find_analogs(subject, locator=StationLocator.from_db(db))
    lines: List[str] = [result.text]
    offers = result.offers or (storage.get_estates_by_ids(db, result.ids[:SHOWN]) if result.ids else [])
    for offer in list(offers)[:SHOWN]:
        lines.append(offer_line(offer))
    return "\n".join(lines)
