"""The bot's forms declared for the engine (`wewall.dialogue.forms`): each form's questions, its
own parser, the names clients use for its questions, and what it says when left.

A new form is one more `FormSpec` here, a `FormEngineAction` subclass in `actions/forms.py`, its
slots and `required_slots` in the domain, and one rule that runs its submit action.
"""

from __future__ import annotations

from typing import Any, Dict

from wewall.dialogue import calculation as calc
from wewall.dialogue import contacts as ct
from wewall.dialogue import search as sd
from wewall.dialogue.forms import FormSpec
from wewall.search.places import place_phrase
from wewall.vocabulary import KIND_NAMES


def _search_describe(slot: str, value: Any, slots: Dict[str, Any]) -> str:
    if slot == sd.PLACE:
        return place_phrase(value if isinstance(value, list) else [value])
    if isinstance(value, list):  # the stations named
        return ", ".join(map(str, value))
    return sd.describe(slot, value, slots)


def _calc_describe(slot: str, value: Any, slots: Dict[str, Any]) -> str:
    if slot == calc.KIND:
        return KIND_NAMES.get(value, str(value))
    return calc._fmt(slot, value)


CALC_ALIASES = {
    calc.KIND: ["тип", "объект", "вид"],
    calc.AREA: ["площад", "метраж", "квадрат", "метры", "м2"],
    calc.PRICE: ["цен", "стоимост", "покупк"],
    calc.CLASS: ["класс"],
    calc.STATION: ["станц", "метро"],
    calc.DISTANCE: ["расстоян", "дорог", "пешком", "минут"],
    calc.REPAIRS: ["отделк", "ремонт"],
    calc.VAT: ["ндс", "налог"],
    calc.RENT: ["аренд"],
    calc.READY_PRICE: ["готов", "цену готов", "цена готов"],
    calc.READINESS: ["срок", "ввод", "сдач", "квартал"],
    calc.TRANCHES: ["платеж", "график", "транш", "оплат", "рассрочк"],
}

SEARCH_ALIASES = {
    sd.TYPE: ["тип", "помещен"],
    sd.DEAL: ["сделк", "покупк", "аренд"],
    sd.BUDGET: ["бюджет", "цен", "сумм", "стоимост", "деньг"],
    sd.PURPOSE: ["цел"],
    sd.MIN_IRR: ["irr", "ирр", "доходн"],
    sd.AREA: ["площад", "метраж", "квадрат", "метры", "м2"],
    sd.METRO: ["метро", "расстоян"],
    sd.ZONE: ["зон", "район", "ттк", "мкад", "мест", "локац"],
    sd.CLASS: ["класс"],
    sd.FINISH: ["отделк", "ремонт"],
    sd.READINESS: ["готовност", "срок", "строя"],
    sd.WISHES: ["пожелан"],
}

CONTACT_ALIASES = {
    ct.NAME: ["имя", "имени", "обращ"],
    ct.PHONE: ["телефон", "номер"],
    ct.TIME: ["врем", "дат", "день", "дн"],
}
CONTACT_NAMES = {ct.NAME: "имя", ct.PHONE: "телефон", ct.TIME: "удобное время"}


def calculation(ctx: calc.Context) -> FormSpec:
    return FormSpec(
        name="calculation_form",
        title="расчёт доходности",
        slots=calc.ALL_SLOTS + [calc.DOUBT],
        confirm=calc.CONFIRMED,
        required=calc.required_slots,
        interpret=lambda turn, slots, requested: calc.interpret(turn, slots, requested, ctx),
        names=calc.NAMES,
        aliases=CALC_ALIASES,
        describe=_calc_describe,
        ask_again=calc.ASK_AGAIN,
        cancelled="Хорошо, расчёт отменён, ответы я удалил. Чем ещё могу помочь?",
        paused_text="Хорошо, расчёт подождёт: ответы я сохранил, вернуться к нему можно из меню.",
        private=(calc.DOUBT,),
    )


SEARCH = FormSpec(
    name="search_form",
    title="подбор",
    slots=sd.ALL_SLOTS + sd.EXTRA_SLOTS,
    confirm=sd.CONFIRMED,
    required=sd.required_slots,
    interpret=sd.interpret,
    names={**sd.NAMES, sd.STATION: "метро", sd.PLACE: "район"},
    aliases=SEARCH_ALIASES,
    describe=_search_describe,
    ask_again=sd.ASK_AGAIN,
    cancelled="Хорошо, подбор отменён. Чем ещё могу помочь?",
    free_text=(sd.WISHES,),
    skippable={**dict.fromkeys(sd.OPTIONAL, sd.ANY), sd.WISHES: ""},
    paused_text="Хорошо, подбор подождёт: ответы я сохранил, вернуться к нему можно из меню.",
    yes_no={sd.FINISH: ({"finish": "ready"}, {"finish": sd.ANY})},
)

VIEWING = FormSpec(
    name="book_viewing_form",
    title="запись на просмотр",
    slots=list(ct.ALL_SLOTS),
    confirm=ct.CONFIRMED,
    required=ct.required_slots,
    interpret=ct.interpret,
    names=CONTACT_NAMES,
    aliases=CONTACT_ALIASES,
    describe=lambda slot, value, slots: ct.spoken_phone(value) if slot == ct.PHONE else str(value),
    ask_again=ct.ASK_AGAIN,
    cancelled="Хорошо, запись на просмотр отменена. Данные я никому не передал.",
    free_text=(ct.TIME,),
    keep_on_cancel=(ct.NAME, ct.PHONE),
    paused_text="Хорошо, запись на просмотр подождёт: ответы я сохранил.",
)
