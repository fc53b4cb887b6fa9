"""«Не понял, уточните»: buttons for the two most likely meanings of a low-confidence message.

Rasa's two-stage fallback idea with our texts: when FallbackClassifier is not sure (confidence
under its threshold, or the top two intents too close), `action_clarify` offers the two intents
DIET ranked highest instead of one blind guess. A button sends the intent itself, so the
client's tap is understood for certain. Small talk (greet, thank…) is never offered: nobody
needs a button to say hello; `inform` only with the values the message held, so the tap
carries them (`/inform{"area_m2": 700}`).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

FALLBACK_INTENT = "nlu_fallback"
MENU = {"title": "Главное меню", "payload": "/help"}

# intent → button title; the payload is the intent (faq topics are reached through their list).
TITLES: Dict[str, str] = {
    "request_search": "Подобрать помещение",
    "request_calculation": "Оценить доходность",
    "request_manager": "Связаться с менеджером",
    "request_analogs": "Показать похожие объекты",
    "next_offer": "Следующий вариант",
    "book_viewing": "Записаться на просмотр",
    "change_params": "Изменить параметры",
    "go_back": "Вернуться к прошлому вопросу",
    "cancel": "Отменить",
    "affirm": "Да",
    "deny": "Нет",
    "help": "Главное меню",
    "start": "Начать заново",
    "about": "О компании WEWALL",
    "show_faq": "Вопросы и термины",
    "faq": "Вопросы и термины",
    "close_manager_chat": "Закрыть чат с менеджером",
    "inform": "Это ответ на вопрос",
}
PAYLOAD_INTENT = {"faq": "show_faq"}


def _payload(intent: str, entities: List[dict]) -> Optional[str]:
    if intent != "inform":
        return "/" + PAYLOAD_INTENT.get(intent, intent)
    values: Dict[str, Any] = {}
    for e in entities:
        values.setdefault(e["entity"], e.get("value"))
    if not values:
        return None  # a bare «inform» button would carry nothing
    return "/inform" + json.dumps(values, ensure_ascii=False)


def clarify_buttons(parse_data: dict, how_many: int = 2) -> List[dict]:
    """Buttons for the `how_many` most likely meanings of a parsed message, then the menu."""
    entities = parse_data.get("entities") or []
    buttons: List[dict] = []
    for ranked in parse_data.get("intent_ranking") or []:
        intent = ranked.get("name")
        if intent == FALLBACK_INTENT or intent not in TITLES:
            continue
        payload = _payload(intent, entities)
        if payload is None or any(b["payload"] == payload for b in buttons):
            continue
        buttons.append({"title": TITLES[intent], "payload": payload})
        if len(buttons) == how_many:
            break
    if not any(b["payload"] == MENU["payload"] for b in buttons):
        buttons.append(dict(MENU))
    return buttons
