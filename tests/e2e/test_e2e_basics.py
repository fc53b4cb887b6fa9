"""The stack end to end: REST channel → Rasa server → action server → document store."""

import pytest

pytestmark = pytest.mark.e2e

MENU = ["Оценка доходности", "Подбор недвижимости", "Вопросы", "Связаться с менеджером"]


def _titles(message):
    return [b["title"] for b in message.get("buttons", [])]


def test_greeting_shows_the_main_menu(bot):
    replies = bot.send("e2e-greet", "привет")
    assert replies and replies[0]["text"].startswith("Здравствуйте")
    assert _titles(replies[0]) == MENU


def test_start_command_shows_the_menu(bot):
    replies = bot.send("e2e-start", "/start")
    assert _titles(replies[0]) == MENU


def test_about_reads_the_base_through_the_action_server(bot):
    replies = bot.send("e2e-about", "кто ты такой?")
    texts = [r["text"] for r in replies]
    assert "WEWALL" in texts[0]
    assert any("60 предложений" in t for t in texts), texts


def test_menu_button_payload_and_faq(bot):
    replies = bot.send("e2e-faq", "/show_faq")
    assert "Что такое IRR?" in _titles(replies[0])
    answer = bot.send("e2e-faq", "что такое irr")
    assert "внутренняя норма доходности" in answer[0]["text"]


def test_conversation_is_kept_in_the_tracker_store(bot):
    bot.send("e2e-tracker", "привет")
    bot.send("e2e-tracker", "спасибо")
    events = bot.tracker("e2e-tracker")["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert user_texts == ["привет", "спасибо"]


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "\x00\x07", "x" * 20000, "'; DROP TABLE events; --"])
def test_odd_input_gets_an_answer_not_an_error(bot, text):
    replies = bot.send("e2e-odd", text)
    assert isinstance(replies, list)
    assert bot.send("e2e-odd", "привет")[0]["text"].startswith("Здравствуйте")
