"""Issue #22: no personal data in any log line. One masking function (wewall.logs.mask) for every
phone spelling the NLU accepts, e-mails and names; Rasa's tracker dump on a failed action (the
action server echoes the whole tracker in its 500 answer) is not written."""

from __future__ import annotations

import ast
import json
import logging

import pytest

from wewall import logs
from wewall.nlu.contacts import extract_phones

# Every spelling the NLU reads as a phone (checked below against extract_phones).
PHONES = [
    "9165551234", "+7 916 55 51 234", "916 555 12 34", "89165551234", "8 916 555 12 34",
    "+7 (916) 555-12-34", "8-916-555-12-34", "+79165551234", "79165551234", "8 (916) 555 1234",
    "(916) 555-12-34", "+7-916-555-1234", "916-555-12-34", "8 495 555 12 34", "4955551234",
    "8(916)555-12-34", "+7(916)5551234", "8.916.555.12.34", "916/555.12.34", "+ 7 916 5551234",
    "+7\u00a0916\u00a0555\u00a012\u00a034", "8 916 555\u201112\u201134", "+7 916 55 \u2013 51234",
]


@pytest.mark.parametrize("phone", PHONES)
def test_every_phone_the_nlu_accepts_is_masked(phone):
    text = f"мой номер {phone}, звоните"
    assert extract_phones(text), f"the NLU does not read {phone!r}: the table is out of date"
    masked = logs.mask(text)
    digits = "".join(c for c in masked if c.isdigit())
    assert "555" not in digits and "+7******34" in masked, masked


BEFORE = [" ", ": ", "\u00a0", " (", "\n", ":"]


def _spellings(count, seed=22):
    """Ten national digits (3, 4, 8 or 9 first) with a random prefix, grouping and separators."""
    import random

    rnd = random.Random(seed)
    prefixes = ["", "+7", "7", "8", "+7 ", "8 ", "+ 7 ", "+7-", "8-", "+7(", "8(", "(", "+7 (", "8 ("]
    separators = ["", " ", "-", ".", " - ", "  ", "/", ") ", ")", "\u00a0", "\u2011", "\u2013", " \u2013 ", "_"]
    for _ in range(count):
        national = rnd.choice("3489") + "".join(rnd.choice("0123456789") for _ in range(9))
        cuts = sorted(rnd.sample(range(1, 10), rnd.randint(0, 4)))
        groups = [national[a:b] for a, b in zip([0] + cuts, cuts + [10])]
        yield national, rnd.choice(prefixes) + groups[0] + "".join(rnd.choice(separators) + g for g in groups[1:])


def test_every_generated_spelling_the_nlu_accepts_is_masked():
    """phonenumbers (the NLU) reads far more spellings than a table lists: 8(38.2 46 28)194, +7 97493 – 25738."""
    import random

    rnd = random.Random(5)
    accepted = 0
    for national, spelling in _spellings(3000):
        text = f"мой номер{rnd.choice(BEFORE)}{spelling} звоните"
        if not extract_phones(text):
            continue
        accepted += 1
        # as typed, in a Python repr (Rasa's debug lines) and in JSON with ASCII escapes (dumps)
        for show, read in ((str, str), (repr, ast.literal_eval), (json.dumps, json.loads)):
            masked = read(logs.mask(show(text)))
            assert national[3:8] not in "".join(c for c in masked if c.isdigit()), (show(text), masked)
    assert accepted > 500  # the generator still produces what the NLU reads


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("пишите на anna.petrova@example.ru", "anna.petrova"),
        ('{"first_name": "Анна", "last_name": "Петрова", "username": "annap"}', "Петрова"),
        ('{"first_name": "\\u0410\\u043d\\u043d\\u0430"}', "\\u0410\\u043d"),
        ("{'entity': 'person_name', 'start': 11, 'end': 15, 'value': 'Анна'}", "Анна"),
        ('{"event": "slot", "timestamp": 1.0, "name": "person_name", "value": "Анна Петрова"}', "Петрова"),
        ('{"event": "slot", "name": "phone", "value": "+79165551234"}', "+7916"),
        ("ClientResponseError: 500, Internal Server Error, body='b'{\"request_body\": {\"tracker\": "
         "{\"text\": \"\\u043c\\u0435\\u043d\\u044f \\u0437\\u043e\\u0432\\u0443\\u0442\"}}}''", "request_body"),
    ],
)
def test_emails_names_and_http_bodies_are_masked(text, hidden):
    assert hidden not in logs.mask(text)


@pytest.mark.parametrize(
    "text",
    ["цена 7 500 000 ₽", "площадь 120 м2", "chat 7123456789", "ts 1732537373.52", "confidence 0.9165551234",
     "id 17329165551234", '{"event": "slot", "name": "area", "value": "700"}', "slot person_name is empty"],
)
def test_ordinary_values_stay_readable(text):
    assert logs.mask(text) == text


def test_names_the_channel_knows_are_masked_anywhere(caplog):
    logs.install()
    logger = logging.getLogger("wewall.test.pii")
    with caplog.at_level(logging.INFO, logger="wewall.test.pii"):
        with logs.known_names("Евлампия", "Ив"):  # too short to mask safely: kept
            logger.info("user said: меня зовут Евлампия")
        logger.info("after: Евлампия")
    assert "меня зовут ***" in caplog.records[-2].getMessage()
    assert caplog.records[-1].getMessage() == "after: Евлампия"


@pytest.mark.asyncio
async def test_a_failed_action_leaves_no_personal_data_in_the_logs(caplog):
    """A real action server (rasa_sdk) whose action raises: Rasa's RemoteAction gets its 500 with
    the whole tracker and the processor logs the exception, as in production."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk.endpoint import create_app

    from tests.e2e.harness import free_port

    logs.install_action_server()  # what actions/__init__.py does in the action server
    port = free_port()
    app = create_app("tests.unit.pii_failing_actions")
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    said = [f"меня зовут Анна Петрова, мой телефон {p}" for p in PHONES] + ["почта anna.petrova@example.ru"]
    events = [UserUttered(t, {"name": "inform"}, metadata={"telegram": {"first_name": "Анна", "last_name": "Петрова"}})
              for t in said]
    events += [SlotSet("person_name", "Анна Петрова"), SlotSet("phone", "+79165551234")]
    tracker = DialogueStateTracker.from_events("tg:777000666", events)
    action = RemoteAction("action_explode", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    try:
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(Exception):  # noqa: B017 (whatever the failing action raises)
                try:
                    await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                                     tracker, Domain.empty())
                except Exception:
                    logging.getLogger("rasa.core.processor").exception(
                        "Encountered an exception while running action 'action_explode'.")
                    raise
    finally:
        server.close()
        await server.wait_closed()
    text = caplog.text
    assert "Encountered an exception" in text and "cannot read" in text  # the failure is still visible
    assert "action action_explode failed" in text  # logged where the client's names are known
    assert "тела не записаны" in text  # the 500 answer's body (the tracker) is not
    escaped = json.dumps("Петрова")[1:-1]
    for secret in ["Петрова", escaped, "anna.petrova", "555 12", "5551234", "55 51 234", "555-12", "555.12",
                   "555\u00a012", "555\\u00a012", "5551\u2011", "555\\u2011", "51234"]:
        assert secret not in text, secret

