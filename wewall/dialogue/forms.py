"""One form engine for every form of the bot: the calculation, the search, the viewing contacts
and any later one.

A form is declared as data (`FormSpec`: its questions, how an answer is read, what each question
is called); `step()` is the one validate loop. It reads every client message of an open form in
the same order, so every way out works at every question, the summary included:

1. commands that no answer can be: «отмена», «назад», «главное меню», «/start», «начать заново»;
2. a go-ahead at the summary («считай», «да ищи», «отправляй», «норм»), whatever words surround it;
3. a question of the client's own («а что такое ТТК?»), answered, then the same question again;
4. a correction by name at any question («площадь не 250, а 300»);
5. a question named by the client («вернись к площади», «поменяй бюджет»);
6. the question asked reads the answer (the form's own parser), with any other fact in the
   message («Записал: …») and corrections of earlier answers («Исправил: …»);
7. «да ищи» before the summary that answers nothing: the optional questions are skipped;
8. only then the NLU intent: a FAQ question, «что ты умеешь», a manager, another task named by its
   words (the answers are kept and offered back when the client returns), thanks, goodbye;
   anything else asks again with a hint.

Leaving a form names the actions that run next (`Step.then`, run by
`wewall.policies.NextActionsPolicy`). `actions/forms.py` moves data between Rasa's tracker and
this module; everything here is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from wewall.dialogue.calculation import Turn

REQUESTED_SLOT = "requested_slot"
PAUSED = "paused_forms"  # forms left with their answers kept, to be offered back
PENDING = "pending_facts"  # facts written before any form was open: {"text", "entities"}

# ---------------------------------------------------------------- the vocabulary of moves


def normalise(text: str) -> str:
    """Lowercase, ё → е, punctuation and emoji dropped, spaces collapsed («Да, искать!» → «да искать»)."""
    text = (text or "").lower().replace("ё", "е")
    text = re.sub(r"[^\w/%\s-]", " ", text)
    text = text.replace("_", " ")
    return re.sub(r"\s+", " ", text).strip(" -")


def _distance_at_most_one(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance ≤ 1: one typo (a letter missed, added, changed or swapped)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def close_to(text: str, phrases: Iterable[str]) -> bool:
    """The normalised text is one of the phrases, or one typo away from one (phrases of 5+ letters)."""
    for phrase in phrases:
        if text == phrase or (len(phrase) >= 5 and _distance_at_most_one(text, phrase)):
            return True
    return False


_POLITE = r"(?:(?:ну|ой|так|все|всё|пожалуйста|плиз|давай|давайте|лучше|тогда|я хочу|хочу)\s+)*"
_TAIL = r"(?:\s+(?:пожалуйста|плиз|плз|все|всё|это|уже|тогда))*"
_FORM_WORDS = r"(?:\s+(?:расчет|расчета|подбор|подбора|поиск|поиска|запись|записи|просмотр|анкету|анкета|все|это|заявку))?"

CANCEL_PHRASES = {
    "отмена", "отменить", "отмени", "отмените", "отменяй", "отменяем", "cancel", "/cancel", "стоп", "stop",
    "хватит", "передумал", "передумала", "отбой", "прекрати", "прекратить", "выход", "выйти", "exit",
    "больше не надо", "не хочу продолжать", "не буду продолжать",
}
# «не надо», «не нужна» are answers to a yes/no or a finish question, never a cancel by themselves.
BACK_PHRASES = {
    "назад", "/go back", "/go_back", "back", "вернись", "вернуться", "вернуться назад", "вернись назад", "шаг назад",
    "на шаг назад", "предыдущий вопрос", "к предыдущему вопросу", "верни назад", "давай назад", "обратно",
}
RESTART_PHRASES = {
    "заново", "сначала", "с начала", "по новой", "начать заново", "начать сначала", "начнем заново",
    "начнем сначала", "давай начнем заново", "давай заново", "давайте заново", "давайте начнем заново",
    "давай сначала", "начать с начала", "все заново", "все сначала", "сбросить", "сброс", "очистить",
}
MENU_PHRASES = {
    "/start", "/help", "start", "старт", "главное меню", "меню", "в меню", "в главное меню", "на главную",
    "главная", "домой", "в начало", "открой меню", "покажи меню",
}


def _phrases(phrases: Iterable[str], form_words: bool) -> re.Pattern[str]:
    """One or more of the phrases («стоп хватит»), with polite words around and the form's name."""
    one = "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))
    return re.compile(rf"^{_POLITE}(?:{one})(?:\s+(?:{one}))*{_FORM_WORDS if form_words else ''}{_TAIL}$")


_CANCEL = _phrases(CANCEL_PHRASES, True)
_BACK = _phrases(BACK_PHRASES, False)
_RESTART = _phrases(RESTART_PHRASES, True)
_MENU = _phrases(MENU_PHRASES, False)

# A go-ahead is a message made only of these words (at least one verb or «да»-word among them).
GO_WORDS = {
    "да", "ага", "угу", "ок", "окей", "ok", "okay", "норм", "нормально", "хорошо", "ладно", "верно",
    "правильно", "точно", "конечно", "поехали", "погнали", "давай", "давайте", "го", "вперед", "отлично",
    "супер", "подтверждаю", "согласен", "согласна", "так", "именно", "yes", "можно", "ну", "все", "уже",
    "считай", "считайте", "посчитай", "посчитайте", "считать", "посчитать", "рассчитай", "рассчитайте",
    "рассчитывай", "ищи", "ищите", "искать", "найди", "найдите", "поищи", "отправь", "отправляй",
    "отправляйте", "отправить", "отправьте", "отправлять", "запускай", "запусти", "жми", "сделай", "готово",
    "подходит", "устраивает", "годится", "пойдет", "сойдет", "агась", "дп", "оке", "оки", "yep",
    "й", "a", "я", "же", "сказал", "сказала", "тебе", "уж", "пожалуйста", "плиз", "пиши", "записывай", "запиши",
}
_GO_CORE = {
    "да", "ага", "угу", "ок", "окей", "ok", "okay", "норм", "нормально", "хорошо", "ладно", "верно", "правильно",
    "точно", "конечно", "поехали", "погнали", "давай", "давайте", "го", "вперед", "отлично", "супер", "подтверждаю",
    "согласен", "согласна", "yes", "считай", "считайте", "посчитай", "посчитайте", "считать", "посчитать",
    "рассчитай", "рассчитайте", "рассчитывай", "ищи", "ищите", "искать", "найди", "найдите", "поищи", "отправь",
    "отправляй", "отправляйте", "отправить", "отправьте", "запускай", "запусти", "жми", "готово", "подходит",
    "устраивает", "годится", "пойдет", "сойдет", "оке", "оки", "записывай", "запиши",
}
NO_WORDS = {"нет", "не", "неа", "неверно", "ошибка", "no", "nope"}
# «да ищи» before the summary: enough questions, go with what is known.
GO_VERBS = {"ищи", "ищите", "искать", "найди", "найдите", "поищи", "считай", "считайте", "посчитай", "посчитайте",
            "рассчитай", "рассчитайте", "поехали", "погнали", "запускай", "запусти", "отправляй", "отправь",
            "отправляйте", "отправьте", "отправить", "считать", "посчитать"}


def is_go_ahead(text: str) -> bool:
    words = normalise(text).split()
    if not words or any(w in NO_WORDS for w in words):
        return False
    return all(w in GO_WORDS for w in words) and any(w in _GO_CORE for w in words)


def is_no(text: str) -> bool:
    words = normalise(text).split()
    return bool(words) and words[0] in NO_WORDS and len(words) <= 4


def command(text: str) -> Optional[str]:
    """«cancel», «back», «restart» or «menu» when the whole message is that command."""
    t = normalise(text)
    if not t:
        return None
    for move, pattern, phrases in (
        ("menu", _MENU, MENU_PHRASES), ("restart", _RESTART, RESTART_PHRASES),
        ("cancel", _CANCEL, CANCEL_PHRASES), ("back", _BACK, BACK_PHRASES),
    ):
        # a typo is forgiven in one-word commands only: «не нужна» is one letter from «не нужно»
        if pattern.match(t) or (" " not in t and close_to(t, [p for p in phrases if " " not in p])):
            return move
    return None


# «вернись к площади», «давай вернемся к бюджету», «поменяй бюджет», «исправь станцию», «другая станция»
_NAMED = re.compile(
    r"(?:верн\w*|назад|обратно|перейд\w*|давай\w*|хочу|можно)?\s*(?:к|на|ко)\s+(?P<a>\w+(?:\s+\w+)?)"
    r"|(?:помен\w*|измен\w*|исправ\w*|смен\w*|поправ\w*|переделать|передела\w*|уточн\w*|друг\w+)\s+(?P<b>\w+(?:\s+\w+)?)",
)


def named_question(text: str, aliases: Dict[str, List[str]], asked: Iterable[str]) -> Optional[str]:
    """The question the client names to go back to, among `asked` (the questions of this form)."""
    t = normalise(text)
    if len(t.split()) > 6:
        return None
    for match in _NAMED.finditer(t):
        words = match.group("a") or match.group("b") or ""
        for slot in asked:
            if any(words.startswith(stem) or f" {stem}" in f" {words}" for stem in aliases.get(slot, [])):
                return slot
    return None


# Which task a message asks for, by its words (the NLU sometimes confuses them).
_CALC_VERBS = re.compile(
    r"посчита|рассчита|расчет|оцени|оценк|окупа|выгодн|мне\s+предлага"
    # «сколько будет IRR, если куплю…», «какая будет доходность»: a question about a return is a calculation
    r"|(?:сколько|какой|какая|какую|каков\w*)\s+(?:\w+\s+)?(?:irr|ирр|доходн)"
    # an offer seen elsewhere, to be judged: «мне предлагают офис…, стоит брать?», «окупится ли», «норм цена?»
    r"|(?<!сколько\s)стоит\s+(?:ли\s+)?(?:его\s+|ее\s+|это\s+)?(?:брать|покупать|взять|купить|вкладыва|инвестир)"
    r"|брать\s+или\s+нет|окупи|\bпредлага\w*\s+(?:мне\s+)?(?:купить|офис|помещени|псн|торгов|магазин)"
    r"|\bпредложили\b|(?:норм\w*|хорош\w*|адекватн\w*|нормальн\w*|справедлив\w*)\s+цен|цена\s+(?:норм|адекватн|хорош)"
    r"|(?:норм\w*|хорош\w*|удачн\w*)\s+(?:ли\s+)?(?:это\s+)?вложени"
)
_CALC_WORDS = re.compile(r"доходн|\birr\b|ирр")
# «доходность от 10 %» is what an investor searches for, not a request to calculate
_MIN_RETURN = re.compile(
    r"(?:доходн\w*|\birr\b|ирр)\s*(?:(?:хотя\s+бы|как\s+минимум|минимум|минимальн\w*|желательно|чтобы\s+была|нужна|"
    r"от|не\s+ниже|не\s+меньше|не\s+менее|не\s+хуже|выше|больше|>=?)\s*)+\d"
    r"|(?:доходн\w*|\birr\b|ирр)\s*\d+[.,]?\d*\s*%?\s*(?:и\s+выше|и\s+больше|или\s+выше|минимум|\+)"
)
_SEARCH_WORDS = re.compile(r"подбер|подобра|подбор|найд|найти|ищу|ищем|ищи|поищ|подыщ|покажи вариант")
_DEAL_WORDS = re.compile(r"купить|куплю|снять|сниму|арендовать|арендую|есть ли|есть что|предложени|вариант")


def task_from_text(text: str) -> Optional[str]:
    """«calculation_form» or «search_form» when the words say it clearly, else None.

    Words about a return («посчитай», «доходность», «стоит ли брать») name the calculation even
    next to «купить»; words about finding («подбери», «найди») name the search."""
    t = normalise(text)
    verbs = bool(_CALC_VERBS.search(t))
    calc = verbs or (bool(_CALC_WORDS.search(t)) and not _MIN_RETURN.search(t))
    search, deal = bool(_SEARCH_WORDS.search(t)) or bool(_MIN_RETURN.search(t)), bool(_DEAL_WORDS.search(t))
    if calc and not search and (verbs or not deal):
        return "calculation_form"
    if (search or deal) and not verbs:
        return "search_form"
    return None


# «сдам офис», «хочу продать своё помещение», «ищу арендатора»: an owner, not a client who buys or rents.
# «куплю и сдам», «посчитай, если сдам за 300» are an investor's words (the calculation).
_OWNER = re.compile(
    r"\b(?:сдам|сдаю|сдаем|продам|продаю|продаем)\b"
    r"|\b(?:сдать|продать|сдавать|продавать)\s+(?:в\s+аренду\s+)?(?:свой|свою|свое|свои|мой|мою|мое|мои|наш|нашу|наше|наши)\b"
    r"|\b(?:ищу|ищем|найти|нужен|нужны)\s+(?:арендатор|покупател)"
)
_NOT_OWNER = re.compile(r"куп(?:ить|лю|им)|сниму|снять|арендовать|арендую|посчита|рассчита|расчет|доходн|\birr\b|окуп")
OWNER_TEXT = (
    "Похоже, вы собственник и хотите сдать или продать помещение. Такие объекты принимает менеджер WEWALL: "
    "оставьте заявку, и он с вами свяжется. Сам я подбираю помещения для покупки и аренды и считаю доходность."
)
OWNER_BUTTONS = [
    {"title": "Связаться с менеджером", "payload": "/request_manager"},
    {"title": "Подбор недвижимости", "payload": "/request_search"},
    {"title": "Оценка доходности", "payload": "/request_calculation"},
]


def is_owner(text: str) -> bool:
    """The client offers their own property (to rent out or to sell), with no words of a buyer or a tenant."""
    t = normalise(text)
    return bool(_OWNER.search(t)) and not _NOT_OWNER.search(t)


# «хочу посмотреть этот офис», «запишите на просмотр»: the offer shown, not a new search («посмотреть ещё
# варианты» is the next offer)
_VIEWING = re.compile(r"посмотреть|просмотр|осмотр|записат\w*|запиши|приехать|съездить")
_NOT_VIEWING = re.compile(r"вариант|предложени|подбер|подобра|найд|найти|ищу|поищ|друг\w+|еще|следующ|дальше")


def is_viewing_request(text: str) -> bool:
    t = normalise(text)
    return bool(_VIEWING.search(t)) and not _NOT_VIEWING.search(t)


_QUESTION_WORDS = {"что", "как", "какой", "какая", "какое", "какие", "зачем", "почему", "сколько", "чем", "где",
                   "когда", "кто", "это", "разве", "можно", "правда"}


def is_question(text: str) -> bool:
    """«а что такое ТТК?»: a question of the client's own, not an answer with a question mark."""
    words = normalise(text).split()
    if words and words[0] in ("а", "и", "ну", "слушай", "скажите", "подскажите"):
        words = words[1:]
    return "?" in (text or "") and bool(words) and words[0] in _QUESTION_WORDS and words[0] != "можно"


def has_go_verb(text: str) -> bool:
    """«считай», «ищи», «отправляй» said without a «нет»: the client wants the result now."""
    words = set(normalise(text).split())
    return bool(words & GO_VERBS) and not words & NO_WORDS


# ---------------------------------------------------------------- forms as data


@dataclass
class FormSpec:
    """One form: its questions and how it reads answers.

    `interpret(turn, slots, requested)` returns an object with `slots`, `messages`, `understood`
    (and optionally `buttons`, `doubt`): the form's own reading of one message.
    """

    name: str
    title: str  # «расчёт доходности»: what the client is filling in
    slots: List[str]  # every slot it owns
    confirm: str  # the summary's slot
    required: Callable[[Dict[str, Any]], List[str]]
    interpret: Callable[[Turn, Dict[str, Any], Optional[str]], Any]
    names: Dict[str, str]  # slot → its name for the client
    aliases: Dict[str, List[str]]  # slot → word stems that name the question
    describe: Callable[[str, Any, Dict[str, Any]], str]
    ask_again: Dict[str, str]
    cancelled: str  # said when the client cancels
    free_text: tuple = ()  # questions whose answer is any text (wishes, a time)
    keep_on_cancel: tuple = ()  # slots a cancel keeps (the name and phone of the viewing form)
    skippable: Dict[str, Any] = field(default_factory=dict)  # question → its answer when skipped («не важно»)
    private: tuple = ()  # slots only an answer to a question may change (the calculation's doubt)
    paused_text: str = ""  # said when the client leaves with the answers kept
    # questions put as yes or no («Нужна отделка?»): question → (entities a «да» means, a «нет» means),
    # read as the tap of the matching button
    yes_no: Dict[str, Tuple[Dict[str, Any], Dict[str, Any]]] = field(default_factory=dict)

    def next_slot(self, slots: Dict[str, Any]) -> Optional[str]:
        return next((s for s in self.required(slots) if slots.get(s) is None), None)

    def previous_slot(self, slots: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
        order = self.required(slots)
        before = order[: order.index(requested)] if requested in order else order
        answered = [s for s in before if s != self.confirm and slots.get(s) is not None]
        return answered[-1] if answered else None

    def answered(self, slots: Dict[str, Any]) -> List[str]:
        return [s for s in self.required(slots) if s != self.confirm and slots.get(s) is not None]

    def reset(self, keep: Iterable[str] = ()) -> Dict[str, Any]:
        keep = set(keep)
        return {s: None for s in self.slots if s not in keep}


@dataclass
class Message:
    text: Optional[str] = None
    buttons: List[dict] = field(default_factory=list)
    response: Optional[str] = None  # a domain response (a FAQ answer)


@dataclass
class Step:
    """What one message does to a form.

    `ask` is the question to ask next (None: the form is complete, its submit rule runs);
    `leave` means the form closes now, and `then` names the actions that run after it
    (`wewall.policies.NextActionsPolicy`), before the bot listens.
    `reject` hands the turn to Rasa's rules (a follow-up reminder, not a client's message).
    """

    slots: Dict[str, Any] = field(default_factory=dict)
    messages: List[Message] = field(default_factory=list)
    ask: Optional[str] = None
    leave: bool = False
    then: List[str] = field(default_factory=list)
    reject: bool = False
    move: str = "answer"  # what the engine understood: for logs and tests

    def say(self, text: str, buttons: Optional[List[dict]] = None) -> None:
        self.messages.append(Message(text=text, buttons=list(buttons or [])))


MENU_BUTTONS = [
    {"title": "Оценка доходности", "payload": "/request_calculation"},
    {"title": "Подбор недвижимости", "payload": "/request_search"},
    {"title": "Вопросы", "payload": "/show_faq"},
    {"title": "Связаться с менеджером", "payload": "/request_manager"},
]
# Intents that still mean a move when a free-text question is asked (cancel and back only as commands:
# «без пожеланий» must not cancel the search).
FREE_TEXT_MOVES = {"request_manager", "request_calculation", "request_search", "help", "about", "show_faq", "start"}
HANDOVER = "action_handover"
# The actions that open each task (a new search forgets the last one's results first).
START = {"calculation_form": ["calculation_form"], "search_form": ["action_search_reset", "search_form"]}
CAPABILITIES = (
    "Я помогаю с коммерческой недвижимостью в Москве: считаю доходность помещения, подбираю офисы и "
    "торговые помещения из базы WEWALL, записываю на просмотр, отвечаю на вопросы и передаю запрос менеджеру."
)


def _ask_hint(spec: FormSpec, requested: Optional[str]) -> str:
    return spec.ask_again.get(requested or "", "Не понял ответ, попробуйте ещё раз.")


def _read_nothing(out: Any, spec: FormSpec, requested: Optional[str], slots: Optional[Dict[str, Any]] = None) -> bool:
    """The form's parser found no new value and no problem: only its «не понял» hint, or nothing.

    Values the form already holds are nothing new: «стоп, а можно сначала посчитать доходность офиса?»
    at the area question repeats «офис», and must reach the switch to the calculation, not re-ask the area."""
    found = getattr(out, "slots", None) or {}
    if slots is not None:
        found = {k: v for k, v in found.items() if (k == requested and v is not None) or v != slots.get(k)}
    if found or getattr(out, "doubt", None):
        return False
    messages = list(getattr(out, "messages", []) or [])
    return not messages or messages == [spec.ask_again.get(requested or "")]


def _with_paused(slots: Dict[str, Any], name: str, add: bool) -> List[str]:
    paused = [f for f in (slots.get(PAUSED) or []) if f != name]
    return paused + [name] if add else paused


def _leave(step: Step, spec: FormSpec, slots: Dict[str, Any], keep_answers: bool, then: Iterable[str] = ()) -> Step:
    step.leave = True
    step.ask = None
    step.then = list(then)
    step.slots[PAUSED] = _with_paused(slots, spec.name, keep_answers and bool(spec.answered(slots)))
    if not keep_answers:
        step.slots.update(spec.reset(spec.keep_on_cancel))
    return step


def _recorded(spec: FormSpec, before: Dict[str, Any], after: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
    """«Записал: …» for facts given for questions other than the one asked, first time given."""
    said = []
    for slot in spec.slots:
        if slot in (requested, spec.confirm) or slot not in spec.names:
            continue
        if before.get(slot) is None and after.get(slot) is not None:
            said.append(f"{spec.names[slot]} — {_describe(spec, slot, after)}")
    return "Записал: " + "; ".join(said) + "." if said else None


def _changed(spec: FormSpec, before: Dict[str, Any], after: Dict[str, Any], requested: Optional[str],
             said: Iterable[str]) -> Optional[str]:
    """«Исправил: …» for earlier answers a message replaced in passing (a new station named at the metro
    question), unless the form's parser said so already: a silent change looks like a lost message."""
    told = " ".join(said)
    fixed = []
    for slot in spec.slots:
        if slot in (requested, spec.confirm) or slot not in spec.names or slot in spec.private:
            continue
        old, new = before.get(slot), after.get(slot)
        if old is None or new is None or old == new or f"Исправил: {spec.names[slot]} " in told:
            continue
        fixed.append(f"{spec.names[slot]} — {_describe(spec, slot, after)}")
    return "Исправил: " + "; ".join(fixed) + "." if fixed else None


def _facts(spec: FormSpec, turn: Turn, slots: Dict[str, Any]) -> Dict[str, Any]:
    """Values a message carries for this form, read as answers to no particular question."""
    out = spec.interpret(Turn("inform", list(turn.entities), turn.text or ""), slots, None)
    return {k: v for k, v in (getattr(out, "slots", {}) or {}).items() if k != spec.confirm and k not in spec.private}


def facts_to_keep(turn: Turn, spec: FormSpec) -> Optional[dict]:
    """The message as facts kept for `spec` (the PENDING slot's value), if it carries any for it."""
    if not any(v is not None for v in _facts(spec, turn, {}).values()):
        return None
    return {"text": turn.text or "", "entities": list(turn.entities)}


def activate(spec: FormSpec, turn: Turn, slots: Dict[str, Any], pending: Optional[dict] = None) -> Step:
    """The form opens: offer back the answers kept from last time, and read the facts of the
    message that opened it and of any message written before (`pending`)."""
    result = Step(move="start")
    if spec.name == "search_form" and is_owner(turn.text or ""):
        # «хочу сдать свой офис в аренду» heard as a request to rent one: a search would answer the wrong person
        result.move = "owner"
        result.say(OWNER_TEXT, OWNER_BUTTONS)
        return _leave(result, spec, slots, keep_answers=True)
    task = task_from_text(turn.text or "")
    if task and task != spec.name and turn.intent in ("request_calculation", "request_search", "inform"):
        # «хочу посчитать доходность офиса…» taken for a search request: the words win
        result.move = "switch"
        return _leave(result, spec, slots, keep_answers=True, then=START[task])
    paused = spec.name in (slots.get(PAUSED) or [])
    if paused:
        result.slots[PAUSED] = _with_paused(slots, spec.name, False)
        answered = spec.answered(slots)
        if answered:
            kept = "; ".join(f"{spec.names.get(s, s)} — {_describe(spec, s, slots)}" for s in answered)
            result.say(f"Продолжим {spec.title}. Ваши ответы я сохранил: {kept}. Чтобы начать заново, напишите «заново».")
    earlier_facts: Dict[str, Any] = {}
    earlier = pending_turn(pending)
    if earlier is not None:
        earlier_facts = _facts(spec, earlier, slots)  # already said when they were written
        result.slots[PENDING] = None
    facts = {**earlier_facts, **_facts(spec, turn, {**slots, **earlier_facts})}
    result.slots.update(facts)
    merged = {**slots, **result.slots}
    used = "; ".join(f"{spec.names[k]} — {_describe(spec, k, merged)}" for k in earlier_facts if k in spec.names)
    if used:
        result.say(f"Учёл то, что вы написали раньше: {used}.")
    recorded = _recorded(spec, {**slots, **earlier_facts}, merged, None)
    if recorded:
        result.say(recorded)
    result.ask = spec.next_slot(merged)
    return result


def _describe(spec: FormSpec, slot: str, slots: Dict[str, Any]) -> str:
    try:
        return spec.describe(slot, slots[slot], slots)
    except Exception:  # a value the describer does not know: show it as it is
        return str(slots[slot])


def step(
    spec: FormSpec,
    turn: Turn,
    slots: Dict[str, Any],
    requested: Optional[str],
    faq_response: Optional[Union[str, Message]] = None,
    payload: bool = False,
) -> Step:
    """Understand one client message in an open form (see the module's docstring for the order)."""
    text = turn.text or ""
    intent = turn.intent
    result = Step()

    # 1. commands no answer can be (a tapped button's intent counts as the command it names)
    move = command(text)
    if move is None and payload:
        move = {"cancel": "cancel", "go_back": "back", "start": "menu"}.get(intent or "")
    if move == "cancel":
        result.move = "cancel"
        result.say(spec.cancelled, MENU_BUTTONS)
        return _leave(result, spec, slots, keep_answers=False)
    if move == "restart":
        result.move = "restart"
        result.slots.update(spec.reset(spec.keep_on_cancel))
        result.slots[PAUSED] = _with_paused(slots, spec.name, False)
        result.say(f"Хорошо, начнём {spec.title} заново.")
        result.ask = spec.next_slot({**slots, **result.slots})
        return result
    if move == "menu":
        result.move = "menu"
        if spec.answered(slots):
            result.say(spec.paused_text or "Хорошо. Ответы я сохранил — вернуться можно из меню.")
        return _leave(result, spec, slots, keep_answers=True, then=["utter_main_menu"])
    if move == "back":
        result.move = "back"
        previous = spec.previous_slot(slots, requested)
        if previous is None:
            result.say("Это первый вопрос, возвращаться некуда.")
            result.slots[requested or PAUSED] = slots.get(requested or PAUSED)
            result.ask = requested
            return result
        result.say("Хорошо, вернёмся к предыдущему вопросу.")
        result.slots.update({previous: None, spec.confirm: None})
        result.ask = previous
        return result

    # 2. «считай» at the summary, whatever else is said («в смысле отменён?? я сказал считай»)
    go = has_go_verb(text) and task_from_text(text) in (None, spec.name)
    if requested == spec.confirm and go:
        text, intent = "да", "affirm"
    order = spec.required(slots)

    # 3. a question the client asks («а что такое ТТК?») is answered first; its words never switch the
    #    task: «а как вы считаете IRR?» in the middle of a search is a question about IRR, not a calculation
    if intent == "faq" and faq_response and is_question(text):
        return _faq(result, faq_response, slots, requested)

    # 4. «площадь не 250, а 300»: a correction of a named answer, whichever question is asked
    fixed = _correction(spec, turn, slots, requested, order)
    if fixed is not None:
        return fixed

    # 5. a question named by the client, unless the message also gives it a value
    named = named_question(text, spec.aliases, [s for s in order if s != spec.confirm])

    # 6. the question asked reads the message first (a plain «да» is a yes to any question)
    reading = Turn(intent, list(turn.entities), text)
    if go and requested != spec.confirm:
        reading.intent = "inform"  # «давай считай» is not a «да» to the question asked
    elif is_go_ahead(text):
        reading.intent = "affirm"
    elif is_no(text):
        reading.intent = "deny"
    elif requested in spec.free_text and intent not in FREE_TEXT_MOVES and not (intent == "faq" and text.rstrip().endswith("?")):
        reading.intent = "inform"  # «вход с улицы» as a wish, «завтра после обеда» as a time: whatever the NLU thought
    if requested in spec.free_text and requested in spec.skippable and (go or is_go_ahead(text)) \
            and not reading.entities:
        # «да ищи», «давай» to «Есть ли другие пожелания?» is no wish: the question is skipped, not answered with it
        result.slots[requested] = spec.skippable[requested]
        merged = {**slots, **result.slots}
        result.move = "skip"
        result.ask = spec.next_slot(merged)
        return result
    if requested in spec.yes_no and reading.intent in ("affirm", "deny") and not reading.entities:
        meaning = spec.yes_no[requested][0 if reading.intent == "affirm" else 1]
        reading = Turn("inform", [{"entity": k, "value": v} for k, v in meaning.items()], text)
    # «да ищи» to a free-text question that cannot be skipped (the viewing time) is the go-ahead of
    # step 7, never the text answered
    go_only = go and requested in spec.free_text and is_go_ahead(text)
    out = None if go_only else spec.interpret(reading, slots, requested)
    if named and named not in (getattr(out, "slots", {}) or {}):
        result.move = "back_to"
        result.say(f"Хорошо, вернёмся к вопросу: {spec.names.get(named, named)}.")
        result.slots.update({named: None, spec.confirm: None})
        result.ask = named
        return result
    if getattr(out, "understood", False) and not _read_nothing(out, spec, requested, slots):
        result.move = "confirm" if (getattr(out, "slots", {}) or {}).get(spec.confirm) else "answer"
        result.slots.update(getattr(out, "slots", {}) or {})
        merged = {**slots, **result.slots}
        buttons = list(getattr(out, "buttons", []) or [])
        for said in getattr(out, "messages", []) or []:
            result.say(said, buttons)
            buttons = []
        recorded = _recorded(spec, slots, merged, requested)
        if recorded:
            result.say(recorded)
        changed = _changed(spec, slots, merged, requested, [m.text or "" for m in result.messages])
        if changed:
            result.say(changed)
        if requested and requested not in result.slots:
            result.slots[requested] = slots.get(requested)  # an answer was read: the form must not reject it
        result.ask = spec.next_slot(merged)
        doubt = getattr(out, "doubt", None)
        if isinstance(doubt, dict) and doubt.get("ask") and doubt.get("slot"):
            # The parser asked its own question («350 ₽ — за м² или за всё?»): the form waits on that
            # answer's slot, whose question stays silent meanwhile, instead of asking a second one.
            result.ask = doubt["slot"]
        return result

    # 7. «да ищи» before the summary, when it answers nothing: skip what may be skipped; never a cancel
    if requested not in (None, spec.confirm) and go:
        skipped = {s: spec.skippable[s] for s in order if s in spec.skippable and slots.get(s) is None}
        result.slots.update(skipped)
        merged = {**slots, **skipped}
        result.ask = spec.next_slot(merged)
        result.move = "skip" if skipped else "not_yet"
        if result.ask is not None and result.ask != spec.confirm:
            missing = [spec.names.get(q, q) for q in order if q != spec.confirm and merged.get(q) is None]
            result.say(f"Хорошо, остался один обязательный вопрос: {missing[0]}." if len(missing) == 1
                       else "Хорошо, остались обязательные вопросы: " + ", ".join(missing) + ".")
            result.slots.setdefault(result.ask, merged.get(result.ask))
        return result

    # 8. not an answer: the intent decides
    return _interruption(spec, turn, slots, requested, faq_response, result, payload)


# «площадь не 250, а 300», «бюджет не 3 а 4 млн»: the words before «не» name the answer, the value after «а» wins
_CORRECTION = re.compile(r"^\s*(?P<name>[^\d,.!?]{2,40}?)\s+не\s+[^,]*?,?\s+а\s+(?P<new>\S.*)$", re.I)


def _correction(spec: FormSpec, turn: Turn, slots: Dict[str, Any], requested: Optional[str],
                order: List[str]) -> Optional[Step]:
    text = turn.text or ""
    match = _CORRECTION.match(text)
    if not match:
        return None
    slot = named_question("поменяй " + match.group("name"), spec.aliases, [s for s in order if s != spec.confirm])
    if slot is None or slots.get(slot) is None:
        return None
    start = match.start("new")
    entities = [e for e in turn.entities if (e.get("start") or 0) >= start]
    out = spec.interpret(Turn("inform", entities, match.group("new")), slots, slot)
    value = (getattr(out, "slots", {}) or {}).get(slot)
    if value is None:
        return None
    step = Step(move="correct")
    step.slots.update({k: v for k, v in (getattr(out, "slots", {}) or {}).items() if k not in spec.private or k == slot})
    if requested == spec.confirm:
        step.slots[spec.confirm] = None
    merged = {**slots, **step.slots}
    step.say(f"Исправил: {spec.names.get(slot, slot)} — {_describe(spec, slot, merged)}.")
    if requested and requested not in step.slots:
        step.slots[requested] = slots.get(requested)
    step.ask = spec.next_slot(merged)
    return step


def _interruption(spec: FormSpec, turn: Turn, slots: Dict[str, Any], requested: Optional[str],
                  faq_response: Optional[Union[str, Message]], result: Step, payload: bool = False) -> Step:
    intent = turn.intent or ""
    # Leaving a form half-way must be meant: the words (or a tapped button) have to name the task;
    # «не нужна, там арендатор уже всё сделал» read as a search request must not end a calculation.
    target = task_from_text(turn.text or "")
    if payload and intent in ("request_calculation", "request_search"):
        target = {"request_calculation": "calculation_form", "request_search": "search_form"}[intent]
    if target is None and intent in ("request_calculation", "request_search"):
        return _again(spec, turn, slots, requested, result)
    if target is not None and (target != spec.name or intent in ("request_calculation", "request_search")):
        if target != spec.name:
            result.move = "switch"
            if spec.answered(slots):
                result.say(spec.paused_text or "Хорошо. Ответы я сохранил — к ним можно вернуться позже.")
            return _leave(result, spec, slots, keep_answers=True, then=START[target])
        # the same task again: keep the answers, take any new fact, go on
        result.move = "continue"
        facts = _facts(spec, turn, slots)
        result.slots.update(facts)
        result.say(f"Продолжаем {spec.title}. Чтобы начать заново, напишите «заново».")
        merged = {**slots, **facts}
        recorded = _recorded(spec, slots, merged, None)
        if recorded:
            result.say(recorded)
        if requested and requested not in result.slots:
            result.slots[requested] = slots.get(requested)
        result.ask = spec.next_slot(merged)
        return result
    if intent == "cancel":
        result.move = "cancel"
        result.say(spec.cancelled, MENU_BUTTONS)
        return _leave(result, spec, slots, keep_answers=False)
    if intent == "go_back":
        return step(spec, Turn(intent, [], "назад"), slots, requested)
    if intent == "start":
        return step(spec, Turn(intent, [], "/start"), slots, requested)
    if intent == "request_manager":
        result.move = "manager"
        return _leave(result, spec, slots, keep_answers=True, then=[HANDOVER])
    if intent == "goodbye":
        result.move = "goodbye"
        result.say("Всего доброго! Ваши ответы я сохранил — продолжим, когда вам будет удобно.")
        return _leave(result, spec, slots, keep_answers=True)
    if intent == "faq" and faq_response:
        return _faq(result, faq_response, slots, requested)
    if intent in ("help", "about", "show_faq"):
        result.move = "help"
        result.say(f"{CAPABILITIES} Сейчас мы заполняем {spec.title}. Чтобы выйти, напишите «отмена» или «главное меню».")
        return _stay(result, slots, requested)
    if intent in ("thank", "greet"):
        result.move = "courtesy"
        result.say("Пожалуйста! Продолжим." if intent == "thank" else "Здравствуйте! Продолжим.")
        return _stay(result, slots, requested)
    return _again(spec, turn, slots, requested, result)


def _faq(result: Step, faq_response: Union[str, Message], slots: Dict[str, Any], requested: Optional[str]) -> Step:
    result.move = "faq"
    result.messages.append(faq_response if isinstance(faq_response, Message) else Message(response=faq_response))
    result.say("Вернёмся к вопросу.")
    return _stay(result, slots, requested)


def _stay(result: Step, slots: Dict[str, Any], requested: Optional[str]) -> Step:
    """The same question again (its slot set to what it was: an answer read, so Rasa asks, not rejects)."""
    if requested:
        result.slots[requested] = slots.get(requested)
    result.ask = requested
    return result


def _again(spec: FormSpec, turn: Turn, slots: Dict[str, Any], requested: Optional[str], result: Step) -> Step:
    result.move = "again"
    if requested == spec.confirm and is_no(turn.text or ""):
        result.say("Что исправить? Напишите новое значение, например «площадь 300», или «вернись к …».")
    else:
        result.say(_ask_hint(spec, requested))
    return _stay(result, slots, requested)


def pending_turn(pending: Optional[dict]) -> Optional[Turn]:
    """The facts the client wrote before a form opened, as a turn the form can read."""
    if not isinstance(pending, dict) or not pending.get("entities"):
        return None
    return Turn("inform", list(pending.get("entities") or []), str(pending.get("text") or ""))


# ---------------------------------------------------------------- facts with no form open


@dataclass
class Route:
    """What to do with a message of facts written while no form is open."""

    start: List[str] = field(default_factory=list)  # the actions that open the form which takes these facts
    pending: Optional[dict] = None  # facts to keep for the form the client chooses
    messages: List[Message] = field(default_factory=list)


def route_facts(turn: Turn, specs: List[FormSpec]) -> Route:
    """«купить помещение под магазин до 50 млн» → the search with these facts; «хочу оценить готовый
    офис 80 метров» → the calculation; facts that name no task are kept and the client chooses;
    a message with no fact (👍, «?») gets the menu."""
    route = Route()
    if is_owner(turn.text or ""):
        route.messages.append(Message(text=OWNER_TEXT, buttons=OWNER_BUTTONS))
        return route
    readings = {spec.name: _facts(spec, turn, {}) for spec in specs}
    readings = {name: {k: v for k, v in facts.items() if v is not None} for name, facts in readings.items()}
    task = task_from_text(turn.text or "")
    by_name = {spec.name: spec for spec in specs}
    if task is None and readings.get("search_form", {}).get("search_deal"):
        task = "search_form"  # to buy or to rent is a search
    if task in by_name:
        route.start = list(START[task])
        return route
    best = max(specs, key=lambda spec: len(readings.get(spec.name) or {}), default=None)
    facts = readings.get(best.name) if best else None
    if not facts:
        route.messages.append(Message(text="Чем могу помочь? Выберите, пожалуйста:", buttons=MENU_BUTTONS))
        return route
    assert best is not None  # the facts are its readings
    said = "; ".join(f"{best.names.get(k, k)} — {_describe(best, k, facts)}" for k in facts if k in best.names)
    route.pending = {"text": turn.text or "", "entities": list(turn.entities)}
    route.messages.append(Message(
        text=f"Записал: {said}. Что сделать с этими данными — посчитать доходность или подобрать варианты?",
        buttons=MENU_BUTTONS,
    ))
    return route
