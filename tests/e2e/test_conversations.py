"""Conversations as clients type them in Telegram, over REST against the real servers (issue #15).

Each conversation is a list of (client message, expectation); an expectation names the client's
OUTCOME after that message: which form is open and which question it asks (or that no form is
open), what the slots hold, what the bot said or must not have said. Every reply is also checked
for a contradiction: «Простите, я не понял» never comes after a real answer in the same turn.

A conversation that fails because of a bot bug stays in the table as `xfail(strict=True)` with the
bug in one line, so the suite is green and the bug is visible; when the bug is fixed the xfail
turns into a failure and the mark must go.

Demo data only (`load_demo(300)`): the viewing conversations reach the offer cards with a rent
search that the demo data always answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.e2e.harness import demo_bot

pytestmark = pytest.mark.e2e

ANY = object()  # no expectation
CALC, SEARCH, VIEWING = "calculation_form", "search_form", "book_viewing_form"
NOT_UNDERSTOOD = "Простите, я не понял"


@dataclass
class Has:
    """A slot's list holds this value (`paused_forms`)."""

    item: Any

    def __call__(self, value: Any) -> bool:
        return isinstance(value, list) and self.item in value


@dataclass
class Expect:
    loop: Any = ANY  # the form open after the message; None: no form open
    asks: Any = ANY  # its requested slot
    slots: Dict[str, Any] = field(default_factory=dict)  # a value, or a predicate on it
    says: Tuple[str, ...] = ()  # each somewhere in the replies (case-insensitive)
    not_says: Tuple[str, ...] = ()

    def problems(self, replies: List[dict], tracker: dict) -> List[str]:
        out = []
        texts = [r.get("text") or "" for r in replies]
        joined = "\n".join(texts).lower()
        loop = (tracker.get("active_loop") or {}).get("name")
        slots = tracker["slots"]
        if self.loop is not ANY and loop != self.loop:
            out.append(f"form open: {loop!r}, expected {self.loop!r}")
        if self.asks is not ANY and slots.get("requested_slot") != self.asks:
            out.append(f"asks {slots.get('requested_slot')!r}, expected {self.asks!r}")
        for name, want in self.slots.items():
            have = slots.get(name)
            ok = want(have) if callable(want) else have == want
            if not ok:
                out.append(f"slot {name} = {have!r}, expected {want!r}")
        out += [f"did not say «{s}»" for s in self.says if s.lower() not in joined]
        out += [f"said «{s}»" for s in self.not_says if s.lower() in joined]
        if len(texts) > 1 and any(t.startswith(NOT_UNDERSTOOD) for t in texts):
            out.append("«Простите, я не понял» said after an answer in the same turn")
        return out


def calc(asks: Any = ANY, **kw: Any) -> Expect:
    return Expect(loop=CALC, asks=asks, **kw)


def search(asks: Any = ANY, **kw: Any) -> Expect:
    return Expect(loop=SEARCH, asks=asks, **kw)


def viewing(asks: Any = ANY, **kw: Any) -> Expect:
    return Expect(loop=VIEWING, asks=asks, **kw)


def out(**kw: Any) -> Expect:
    """No form open: the client has left it (or never entered one)."""
    return Expect(loop=None, **kw)


@dataclass
class Convo:
    name: str
    steps: List[Tuple[str, Expect]]
    bug: Optional[str] = None  # a bot bug this conversation shows: xfail(strict)


RESULT = "IRR при сдаче в аренду"
CARD = "1 из "
SUMMARY = "Проверьте"
CALC_KEPT = {"paused_forms": Has(CALC)}
SEARCH_KEPT = {"paused_forms": Has(SEARCH)}

# A finished office up to its VAT question (the answers as typed).
OFFICE_TO_VAT = [
    ("хочу посчитать доходность", calc("calc_kind")),
    ("готовый офис", calc("calc_area_m2", slots={"calc_kind": "finished_office"})),
    ("120 метров", calc("calc_price_per_m2", slots={"calc_area_m2": 120})),
    ("по 350 тыщ за метр", calc("calc_estate_class", slots={"calc_price_per_m2": 350000})),
    ("класс б", calc("calc_metro_station", slots={"calc_estate_class": "B"})),
    ("белорусская", calc("calc_distance_to_metro_m", slots={"calc_metro_station": "Белорусская"})),
    ("5 мин пешком", calc("calc_repairs", slots={"calc_distance_to_metro_m": 400})),
    ("частичная", calc("calc_nds_rate", slots={"calc_repairs": "partial"})),
]
OFFICE_SUMMARY = OFFICE_TO_VAT + [("5%", calc("calc_confirmed", slots={"calc_nds_rate": 5}, says=(SUMMARY, "120 м²")))]
RETAIL_TO_PRICE = [
    ("оценка доходности", calc("calc_kind")),
    ("Готовое торговое помещение", calc("calc_area_m2", slots={"calc_kind": "finished_retail"})),
    ("80 м2", calc("calc_price_per_m2", slots={"calc_area_m2": 80})),
]
# A rent search the demo data always answers, up to its summary and to the first offer card.
SEARCH_SUMMARY = [
    ("офис в аренду до 3 миллионов в месяц", search("search_min_area", slots={
        "search_type": "office", "search_deal": "rent", "search_budget": 3_000_000})),
    ("да ищи", search("search_confirmed", says=(SUMMARY,))),
]
CARDS = SEARCH_SUMMARY + [("да искать", out(says=("Нашёл", CARD), slots={"search_stage": "offers"}))]
VIEWING_START = CARDS + [("записаться на просмотр", viewing("person_name", says=("Запишу вас на просмотр",)))]
VIEWING_SUMMARY = VIEWING_START + [
    ("меня зовут Ольга", viewing("phone", slots={"person_name": "Ольга"})),
    ("89161234567", viewing("viewing_time", slots={"phone": "+79161234567"})),
    ("завтра после обеда", viewing("book_viewing_confirmed", slots={"viewing_time": "завтра после обеда"}, says=(SUMMARY,))),
]
SEARCH_TO_AREA = [
    ("подбери офис купить", search("search_budget", slots={"search_type": "office", "search_deal": "sale"})),
    ("до 200 млн", search("search_purpose", slots={"search_budget": 200_000_000})),
    ("для бизнеса", search("search_min_area", slots={"search_purpose": "business"})),
]

CONVERSATIONS: List[Convo] = [
    # ------------------------------------------------------------ the calculation
    Convo("calc-typed-to-result", OFFICE_SUMMARY + [
        ("давай считай", out(says=(RESULT,), slots={"calculations_count": 1, "calc_kind": None})),
    ]),
    Convo("calc-retail-button-titles-typed", RETAIL_TO_PRICE + [
        ("500 тыс", calc("calc_metro_station", slots={"calc_price_per_m2": 500000})),  # retail asks the station (analogs)
        ("павелецкая", calc("calc_monthly_rent_rub", slots={"calc_metro_station": "Павелецкая"})),
        ("300к в месяц", calc("calc_repairs", slots={"calc_monthly_rent_rub": 300000})),
        ("полный ремонт", calc("calc_nds_rate", slots={"calc_repairs": "full"})),
        ("усн без ндс", calc("calc_confirmed", slots={"calc_nds_rate": 0})),
        ("да считать", out(says=(RESULT,))),
        ("новый расчет", calc("calc_kind", slots={"calc_area_m2": None})),
    ]),
    Convo("calc-facts-in-the-request", [
        ("хочу оценить готовый офис 80 метров у Павелецкой", calc("calc_price_per_m2", slots={
            "calc_kind": "finished_office", "calc_area_m2": 80, "calc_metro_station": "Павелецкая"}, says=("Записал",))),
    ]),
    Convo("calc-facts-with-price-in-the-request", [
        ("хочу посчитать доходность офиса в строящемся бц, 250 м2 по 420 тыс", calc("calc_estate_class", slots={
            "calc_kind": "building_office", "calc_area_m2": 250, "calc_price_per_m2": 420000})),
    ]),
    Convo("calc-cancel", OFFICE_TO_VAT[:4] + [
        ("отмена", out(says=("расчёт отменён",), slots={"calc_kind": None, "calc_area_m2": None})),
        ("отмена", out(says=("Отменять нечего",))),
    ]),
    Convo("calc-cancel-button-typed-at-summary", OFFICE_SUMMARY + [
        ("отменить", out(says=("расчёт отменён",), slots={"calc_kind": None, "calc_nds_rate": None})),
    ]),
    Convo("calc-back", OFFICE_TO_VAT[:4] + [
        ("назад", calc("calc_price_per_m2", slots={"calc_price_per_m2": None, "calc_area_m2": 120}, says=("предыдущему",))),
        ("назад", calc("calc_area_m2", slots={"calc_area_m2": None})),
        ("150", calc("calc_price_per_m2", slots={"calc_area_m2": 150})),
    ]),
    Convo("calc-back-typed-at-summary", OFFICE_SUMMARY + [
        ("Назад", calc("calc_nds_rate", slots={"calc_nds_rate": None})),
        ("5%", calc("calc_confirmed", slots={"calc_nds_rate": 5}, says=(SUMMARY,))),
    ]),
    Convo("calc-back-to-named-question", OFFICE_TO_VAT[:7] + [
        ("вернись к площади", calc("calc_area_m2", slots={"calc_area_m2": None, "calc_price_per_m2": 350000})),
        ("100", calc("calc_repairs", slots={"calc_area_m2": 100})),
    ]),
    Convo("calc-change-named-at-summary", OFFICE_SUMMARY + [
        ("поменяй станцию", calc("calc_metro_station", slots={"calc_metro_station": None})),
        ("павелецкая", calc("calc_confirmed", slots={"calc_metro_station": "Павелецкая"}, says=(SUMMARY, "Павелецкая"))),
    ]),
    Convo("calc-correction-in-passing", OFFICE_TO_VAT[:5] + [
        ("площадь не 120 а 130", calc("calc_metro_station", slots={"calc_area_m2": 130}, says=("Исправил",))),
    ]),
    Convo("calc-correction-at-summary-then-go", OFFICE_SUMMARY + [
        ("площадь не 120, а 140", calc("calc_confirmed", slots={"calc_area_m2": 140}, says=("140 м²",))),
        ("ок", out(says=(RESULT,))),
    ]),
    Convo("calc-main-menu-keeps-answers", OFFICE_TO_VAT[:4] + [
        ("главное меню", out(says=("Выберите",), slots={"calc_kind": "finished_office", **CALC_KEPT})),
        ("Оценка доходности", calc("calc_estate_class", slots={"calc_area_m2": 120}, says=("Продолжим",))),
    ]),
    Convo("calc-slash-start", OFFICE_TO_VAT[:3] + [
        ("/start", out(slots={"calc_kind": "finished_office", **CALC_KEPT})),
    ]),
    Convo("calc-start-over", OFFICE_TO_VAT[:4] + [
        ("давай начнем заново", calc("calc_kind", slots={"calc_kind": None, "calc_area_m2": None}, says=("заново",))),
    ]),
    Convo("calc-manager", OFFICE_TO_VAT[:4] + [
        ("позовите менеджера", out(says=("менеджер",), slots={"calc_kind": "finished_office", **CALC_KEPT})),
    ]),
    Convo("calc-faq-then-same-question", RETAIL_TO_PRICE + [
        ("а что такое капитализация?", calc("calc_price_per_m2", says=("Капитализация", "Вернёмся к вопросу"))),
        ("450 тысяч", calc("calc_metro_station", slots={"calc_price_per_m2": 450000})),
    ]),
    Convo("calc-what-can-you-do", OFFICE_TO_VAT[:2] + [
        ("что ты умеешь", calc("calc_area_m2", says=("считаю доходность",))),
        ("спасибо", calc("calc_area_m2")),
        ("120", calc("calc_price_per_m2", slots={"calc_area_m2": 120})),
    ]),
    Convo("calc-switch-to-search-and-back", OFFICE_TO_VAT[:4] + [
        ("а подбери мне офис в аренду", search(ANY, slots={"search_type": "office", "calc_area_m2": 120, **CALC_KEPT})),
        ("Оценка доходности", calc("calc_estate_class", slots={"calc_area_m2": 120, "calc_price_per_m2": 350000},
                                   says=("Продолжим расчёт",))),
    ]),
    Convo("calc-go-ahead-before-summary", OFFICE_TO_VAT[:3] + [
        ("считай", calc("calc_price_per_m2", slots={"calc_area_m2": 120}, not_says=("отменён",))),
    ]),
    Convo("calc-go-ahead-not-an-answer", OFFICE_TO_VAT[:7] + [
        ("давай считай", calc("calc_repairs", slots={"calc_repairs": None})),
    ]),
    Convo("calc-go-ahead-at-summary-after-cancel-scare", OFFICE_SUMMARY + [
        ("в смысле отменён?? я сказал считай", out(says=(RESULT,), not_says=("отменён",))),
    ]),
    Convo("calc-finish-words", OFFICE_TO_VAT[:7] + [
        ("нужна частичная", calc("calc_nds_rate", slots={"calc_repairs": "partial"})),
    ]),
    Convo("calc-finish-button-typed", OFFICE_TO_VAT[:7] + [
        ("не нужна", calc("calc_nds_rate", slots={"calc_repairs": "none"}, not_says=("отменён",))),
    ]),
    Convo("calc-vat-usn", OFFICE_TO_VAT + [
        ("усн", calc("calc_confirmed", slots={"calc_nds_rate": 0}, says=(SUMMARY,))),
    ]),
    Convo("calc-finish-tenant-did-it", OFFICE_TO_VAT[:7] + [
        ("не нужна, там арендатор уже всё сделал", calc("calc_nds_rate", slots={"calc_repairs": "none"})),
    ]),
    Convo("calc-finish-bare-concrete", OFFICE_TO_VAT[:7] + [
        ("там бетон, отделки нет", calc("calc_nds_rate", slots={"calc_repairs": "full"})),
    ]),
    Convo("calc-total-price", RETAIL_TO_PRICE + [
        ("40 млн за всё", calc("calc_metro_station", slots={"calc_price_per_m2": 500000})),
    ]),
    Convo("calc-vat-20-goes-to-a-manager", RETAIL_TO_PRICE + [
        ("500 тыс", calc("calc_metro_station")),
        ("павелецкая", calc("calc_monthly_rent_rub")),
        ("400к", calc("calc_repairs")),
        ("полный ремонт", calc("calc_nds_rate")),
        ("20 % (осно)", calc("calc_nds_rate", says=("менеджер", "сохранены"), not_says=("не понял", "не могу передать"),
                             slots={"calc_area_m2": 80, "calc_monthly_rent_rub": 400000})),
        ("посчитать без ндс для ориентира", calc("calc_confirmed", slots={"calc_nds_rate": 0}, says=(SUMMARY,))),
    ]),
    Convo("calc-rent-given-for-price", RETAIL_TO_PRICE + [
        ("300 тыс в месяц", calc("calc_price_per_m2", slots={"calc_price_per_m2": None, "calc_monthly_rent_rub": 300000})),
    ]),

    # ------------------------------------------------------------ the search
    Convo("search-facts-skip-and-cards", CARDS + [
        ("следующее предложение", out(says=("2 из ",))),
    ]),
    Convo("search-shop-to-buy", [
        ("купить помещение под магазин до 50 млн", search("search_purpose", slots={
            "search_type": "retail", "search_deal": "sale", "search_budget": 50_000_000}, says=("Записал",))),
        ("для своего бизнеса", search("search_min_area", slots={"search_purpose": "business"})),
    ]),
    Convo("search-cancel", SEARCH_TO_AREA + [
        ("отмена", out(says=("подбор отменён",), slots={"search_type": None, "search_budget": None})),
    ]),
    Convo("search-slash-cancel-then-start", SEARCH_TO_AREA[:2] + [
        ("/cancel", out(says=("подбор отменён",))),
        ("/start", out(says=("Здравствуйте",))),
    ]),
    Convo("search-back", SEARCH_TO_AREA + [
        ("назад", search("search_purpose", slots={"search_purpose": None, "search_budget": 200_000_000})),
        ("для инвестиций", search("search_min_irr", slots={"search_purpose": "investment"})),
    ]),
    Convo("search-summary-buttons-typed", SEARCH_SUMMARY + [
        ("Назад", search("search_wishes")),
        ("нет", search("search_confirmed", says=(SUMMARY,))),
        ("Отменить", out(says=("подбор отменён",), slots={"search_type": None})),
    ]),
    Convo("search-change-budget-at-summary", SEARCH_SUMMARY + [
        ("поменяй бюджет", search("search_budget", slots={"search_budget": None, "search_type": "office"})),
        ("2 млн", search("search_confirmed", slots={"search_budget": 2_000_000}, says=(SUMMARY,))),
        ("ладно ищи", out(says=("Нашёл",))),
    ]),
    Convo("search-back-to-area", SEARCH_TO_AREA + [
        ("100 метров", search("search_max_walk", slots={"search_min_area": 100})),
        ("вернись к площади", search("search_min_area", slots={"search_min_area": None})),
        ("от 150", search("search_max_walk", slots={"search_min_area": 150})),
    ]),
    Convo("search-correction-in-passing", SEARCH_TO_AREA[:2] + [
        ("бюджет не 200 а 250 млн", search("search_purpose", slots={"search_budget": 250_000_000}, says=("Исправил",))),
    ]),
    Convo("search-main-menu-keeps-answers", SEARCH_TO_AREA + [
        ("главное меню", out(says=("Выберите",), slots={"search_budget": 200_000_000, **SEARCH_KEPT})),
    ]),
    Convo("search-start-over", SEARCH_TO_AREA + [
        ("давай начнем заново", search("search_type", slots={"search_type": None, "search_budget": None})),
    ]),
    Convo("search-manager", SEARCH_TO_AREA + [
        ("позовите менеджера", out(says=("менеджер",), slots={"search_budget": 200_000_000, **SEARCH_KEPT})),
    ]),
    Convo("search-faq-then-same-question", SEARCH_TO_AREA + [
        ("100", search("search_max_walk")),
        ("не важно", search("search_zone")),
        ("а что такое ттк?", search("search_zone", slots={"search_zone": None}, says=("Вернёмся к вопросу",))),
        ("внутри ттк", search("search_class", slots={"search_zone": "ttk"})),
    ]),
    Convo("search-faq-commission", SEARCH_TO_AREA + [
        ("а комиссия у вас есть?", search("search_min_area", says=("без комиссии", "Вернёмся к вопросу"))),
        ("от 80 м2", search("search_max_walk", slots={"search_min_area": 80})),
    ]),
    Convo("search-what-can-you-do", SEARCH_TO_AREA[:1] + [
        ("а что ты вообще умеешь", search("search_budget", says=("подбираю",))),
    ]),
    Convo("search-switch-to-calc-and-back", SEARCH_TO_AREA + [
        ("стоп, хочу сначала посчитать доходность", calc("calc_kind", slots={"search_budget": 200_000_000, **SEARCH_KEPT},
                                                          says=("подбор подождёт",))),
        ("готовый офис", calc("calc_area_m2")),
        ("Подбор недвижимости", search("search_min_area", slots={"search_budget": 200_000_000, **CALC_KEPT},
                                       says=("Продолжим подбор",))),
    ]),
    Convo("search-wishes-free-text", SEARCH_SUMMARY[:1] + [
        ("не важно", search("search_max_walk")),
        ("до 10 минут", search("search_zone")),
        ("любая", search("search_class")),
        ("любой", search("search_finish")),
        ("любая", search("search_wishes")),
        ("вход с улицы и парковка", search("search_confirmed", slots={"search_wishes": "вход с улицы и парковка"})),
    ]),
    Convo("search-investor-request", [
        ("хочу купить офис для инвестиций до 500 млн доходность от 10%", search(ANY, slots={
            "search_type": "office", "search_deal": "sale", "search_budget": 500_000_000, "search_purpose": "investment"})),
    ]),
    Convo("search-area-correction-at-summary", [
        ("офис в аренду до 3 миллионов в месяц от 100 метров", search("search_max_walk", slots={"search_min_area": 100})),
        ("да ищи", search("search_confirmed", says=(SUMMARY,))),
        ("бюджет не 3 а 4 млн", search("search_confirmed", slots={"search_budget": 4_000_000}, says=("Исправил",))),
        ("площадь не 100 а 150", search("search_confirmed", slots={"search_min_area": 150}, says=("от 150 м²",))),
    ]),
    Convo("search-area-correction-at-metro", [
        ("офис в аренду до 3 миллионов в месяц от 100 метров", search("search_max_walk", slots={"search_min_area": 100})),
        ("площадь не 100 а 150", search("search_max_walk", slots={"search_min_area": 150, "search_max_walk": None})),
    ]),
    Convo("search-viewing-request-with-no-offers", [
        # no greeting in front: «привет, …» sits on the fallback threshold (docs/nlu.md, greeting-first requests)
        ("хочу посмотреть офис вживую", out(says=("подберём",))),
        ("аренда", search("search_budget", slots={"search_type": "office", "search_deal": "rent"})),
    ]),
    Convo("search-short-word-typed", [
        ("подбор", search("search_type")),
    ]),

    # ------------------------------------------------------------ the viewing
    Convo("viewing-to-the-end", VIEWING_SUMMARY + [
        ("отправить", out(says=("менеджер",))),
    ]),
    Convo("viewing-cancel-then-next-offer", VIEWING_START + [
        ("Анна", viewing("phone")),
        ("отмена", out(says=("запись на просмотр отменена",), slots={"viewing_time": None})),
        ("следующее предложение", out(says=("2 из ",))),
    ]),
    Convo("viewing-back", VIEWING_SUMMARY[:-1] + [
        ("назад", viewing("phone", slots={"phone": None, "person_name": "Ольга"})),
        ("8 903 123 45 67", viewing("viewing_time", slots={"phone": "+79031234567"})),
    ]),
    Convo("viewing-back-at-summary-and-new-time", VIEWING_SUMMARY + [
        ("назад", viewing("viewing_time", slots={"viewing_time": None})),
        ("в пятницу утром", viewing("book_viewing_confirmed", slots={"viewing_time": "в пятницу утром"}, says=(SUMMARY,))),
    ]),
    Convo("viewing-change-phone-named", VIEWING_SUMMARY + [
        ("поменяй телефон", viewing("phone", slots={"phone": None})),
        ("+7 916 765-43-21", viewing("book_viewing_confirmed", slots={"phone": "+79167654321"})),
    ]),
    Convo("viewing-phone-corrected-in-passing", VIEWING_SUMMARY + [
        ("телефон другой: 89031112233", viewing("book_viewing_confirmed", slots={"phone": "+79031112233"}, says=(SUMMARY,))),
    ]),
    Convo("viewing-main-menu", VIEWING_START + [
        ("Анна", viewing("phone")),
        ("главное меню", out(says=("Выберите",), slots={"person_name": "Анна"})),
    ]),
    Convo("viewing-manager", VIEWING_START + [
        ("Иван", viewing("phone")),
        ("позовите менеджера", out(says=("менеджер",), slots={"person_name": "Иван"})),
    ]),
    Convo("viewing-faq-then-same-question", VIEWING_START + [
        ("а комиссия есть?", viewing("person_name", says=("без комиссии", "Вернёмся к вопросу"))),
        ("Иван", viewing("phone", slots={"person_name": "Иван"})),
    ]),
    Convo("viewing-what-can-you-do", VIEWING_START + [
        ("что ты умеешь?", viewing("person_name", says=("записываю на просмотр",))),
    ]),
    Convo("viewing-switch-to-calc", VIEWING_START + [
        ("Анна", viewing("phone")),
        ("хочу посчитать доходность", calc("calc_kind", slots={"person_name": "Анна", "paused_forms": Has(VIEWING)})),
    ]),
    Convo("viewing-start-over", VIEWING_SUMMARY + [
        # the name and the phone are kept on purpose (FormSpec.keep_on_cancel): only the time is asked again
        ("давай заново", viewing("viewing_time", slots={"viewing_time": None, "person_name": "Ольга"}, says=("заново",))),
    ]),

    # ------------------------------------------------------------ personas of the client tests (05.12.2026)
    Convo("search-irr-question-is-not-a-calculation", SEARCH_TO_AREA[:2] + [
        ("а как вы считаете IRR?", search(ANY, says=("внутренняя норма доходности", "Вернёмся к вопросу",
                                                      "для инвестиций или для своего бизнеса"))),
    ]),
    Convo("search-new-station-said-back", [
        ("ищу помещение под кофейню рядом с метро Павелецкая, аренда", search(ANY, says=("Павелецкая",))),
        ("до 300 тысяч в месяц", search(ANY)),
        # the station answers «как далеко от метро?» and «в какой части Москвы?»: neither asked
        ("от 40 метров", search(ANY, says=("Нужна отделка?",), not_says=("Как далеко от метро", "В какой части Москвы"))),
        ("а у Профсоюзной?", search(ANY, says=("Исправил: метро — Профсоюзная", "Нужна отделка?"))),
        ("да ищи", search(ANY, says=("у метро: Профсоюзная",), not_says=("Павелецкая", "до метро: не важно"))),
    ]),
    Convo("search-area-and-budget-per-m2-in-one", [
        ("сниму офис 100 метров до 3000 за метр в месяц на таганской", search(ANY, says=(
            "бюджет — до 3", "за м² в месяц", "площадь — от 100 м²", "Таганская"), not_says=("до метро",))),
    ]),
    Convo("manager-phone-in-the-request", SEARCH_TO_AREA[:1] + [
        ("мой телефон 89031234567, перезвоните", out(says=("Заявка сохранена",), not_says=("номер телефона",))),
    ]),
    Convo("manager-then-name-and-phone", [
        ("мне нужен менеджер", out(says=("номер телефона",))),
        ("Анна, 8 916 555 44 33", out(says=("+7 916 555-44-33",), not_says=("Выберите",))),
        ("Отправить", out(says=("Заявка сохранена",))),
    ]),
    Convo("manager-then-name-then-phone", [
        ("соедините с менеджером", out(says=("номер телефона",))),
        ("Иван", out(says=("Спасибо, Иван", "номер телефона"), not_says=("Выберите",))),
        ("89161234567", out(says=("+7 916 123-45-67",))),
    ]),
    Convo("owner-is-sent-to-a-manager", [
        ("хочу сдать свой офис в аренду", out(says=("собственник", "менеджер"), not_says=("Какой бюджет",))),
        ("сдам офис", out(says=("собственник",), not_says=("Записал",))),
    ]),
    Convo("viewing-request-heard-as-a-search", CARDS + [
        ("хочу посмотреть этот офис завтра в 11, я Петр 89991234567", viewing(ANY, says=("Запишу вас на просмотр",),
                                                                            not_says=("Купить или арендовать",))),
    ]),
    Convo("search-cheaper-asks-the-budget", CARDS + [
        ("а есть дешевле?", out(says=("бюджетом до 3",), not_says=(NOT_UNDERSTOOD,))),
        ("до 2 млн", out(not_says=(NOT_UNDERSTOOD,))),
    ]),
    Convo("viewing-yes-is-not-a-time", VIEWING_START + [
        ("Ольга", viewing(ANY)),
        ("89161234567", viewing(ANY, says=("Когда вам удобно",))),
        ("да", viewing(ANY, says=("не похоже на время",), not_says=("Проверьте",))),
        ("в пятницу в 12", viewing(ANY, says=("в пятницу в 12",))),
    ]),
    Convo("calc-repairs-among-other-facts", [
        ("посчитать доходность", calc(ANY)),
        ("офис 120 м2 по 400 тысяч, ремонт не нужен", calc(ANY, says=("ремонт до сдачи в аренду — ремонт не нужен",))),
    ]),

    Convo("search-a-greeting-in-front-of-the-request", [
        ("здрасте, подбериет мне офис", search("search_deal", slots={"search_type": "office"},
                                               not_says=(NOT_UNDERSTOOD, "Что вас интересует"))),
    ]),
    Convo("search-an-area-is-no-answer-to-the-budget", [
        ("снять офис", search("search_budget")),
        ("метров 100-150", search("search_budget", slots={"search_budget": None,
                                                         "search_min_area": {"min": 100, "max": 150}})),
    ]),
    Convo("market-prices-then-the-search-keeps-the-facts", [
        ("сколько стоит аренда офиса в среднем", out(says=("По нашей базе", "медиана предложений аренды офисов",
                                                           "а не сделок"), not_says=("Третье транспортное",))),
        ("давайте подберем", search("search_budget", slots={"search_type": "office", "search_deal": "rent"})),
    ]),
    # ------------------------------------------------------------ a phone in the middle of a form (tester2)
    Convo("search-phone-with-the-budget-is-offered-to-the-manager", [
        ("ищу помещение под кафе в аренду", search("search_budget")),
        ("до 300 тыс, можете перезвонить 8 916 123 45 67", out(
            says=("+7 916 123-45-67", "соглашаетесь"), not_says=("Не понял",),
            slots={"search_budget": 300_000, "callback_phone": "+79161234567", **SEARCH_KEPT})),
        ("Отправить", out(says=("Заявка сохранена", "Ответы для подбора я сохранил"), slots={"phone": "+79161234567"})),
        ("Подбор недвижимости", search("search_min_area", says=("Продолжим подбор",))),
    ]),
    Convo("search-phone-alone-is-not-a-budget", [
        ("мне нужен офис купить", search("search_budget")),
        ("тел 89161234567", out(says=("+7 916 123-45-67",), not_says=("Не понял бюджет",))),
    ]),
    Convo("search-go-ahead-at-the-wishes-is-no-wish", [
        ("привет нужен офис в аренду у белорусской 100 метров до 400к в месяц класс б с отделкой", search("search_wishes")),
        ("да ищи", search("search_confirmed", slots={"search_wishes": ""}, not_says=("«да ищи»",))),
    ]),

    # ------------------------------------------------------------ no form open
    Convo("no-form-empty-facts", [
        ("👍", out(says=("Чем могу помочь",))),
        ("офис", out(says=("Записал",), slots={"pending_facts": lambda v: bool(v)})),
        ("купить", search("search_budget", slots={"search_type": "office", "search_deal": "sale"})),
    ]),
]


def _param(convo: Convo):
    marks = [pytest.mark.xfail(strict=True, reason=convo.bug)] if convo.bug else []
    return pytest.param(convo, id=convo.name, marks=marks)


@pytest.fixture(scope="module")
def convo_bot(model, tmp_path_factory):
    yield from demo_bot(model, tmp_path_factory.mktemp("convo-bot"), offers=300)


def test_the_table_is_large_enough():
    names = [c.name for c in CONVERSATIONS]
    assert len(names) == len(set(names)) and len(names) >= 40, len(names)


@pytest.mark.parametrize("convo", [_param(c) for c in CONVERSATIONS])
def test_conversation(convo_bot, convo: Convo):
    sender = f"convo-{convo.name}"
    for number, (message, expect) in enumerate(convo.steps, 1):
        replies = convo_bot.send(sender, message)
        problems = expect.problems(replies, convo_bot.tracker(sender))
        said = " | ".join(r.get("text") or "" for r in replies)
        assert not problems, f"step {number} «{message}»: {'; '.join(problems)}\n  bot: {said}"
