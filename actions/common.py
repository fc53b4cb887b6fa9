"""What every form action needs to know about the turn it runs in."""

from typing import Iterable

from rasa_sdk import Tracker

from wewall import followups

# Actions that run between a client's message and a form's validation without being a step of
# the dialogue: Rasa 3 runs action_extract_slots after every message, so `latest_action_name`
# is not action_listen there and cannot tell a fresh answer from a return to the form.
TRANSPARENT = {None, "action_listen", "action_extract_slots"}


def fresh_user_turn(tracker: Tracker, forms: Iterable[str] = ()) -> bool:
    """A new client message since the last dialogue action (not a re-run after «назад», a
    question answered by a rule, or the form's activation by another action)."""
    transparent = TRANSPARENT | set(forms)
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in transparent:
            return False
    return False


def external_turn(tracker: Tracker) -> bool:
    """The turn was started by the bot's own side (a follow-up, a reminder), not by the client."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
    return intent.startswith("EXTERNAL_")


async def note_answer(tracker: Tracker, form: str) -> None:
    """A client wrote inside `form`: their follow-up (if they go silent) moves on."""
    if external_turn(tracker):
        return
    await followups.record_activity(tracker.sender_id, tracker.get_latest_input_channel(), form)
