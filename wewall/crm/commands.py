"""How an action asks for something in amoCRM without calling amoCRM: a command event.

An action returns `crm_command("handover", summary=...)`: two `SlotSet` events of the
`crm_event` slot, the command and then None. The Rasa server's event broker (outbox.py)
writes the first into the outbox in the conversation's own order, between the client's
message and the bot's reply; the relay (`wewall worker`) carries it out. Resetting the slot
in the same action keeps it from being carried over into a new session (and replayed).

Commands the relay knows (relay.py):
- `handover` {summary, lead_ref?, phone?}: the summary into the lead's chat and as a note
  (once), the client's phone onto the contact, the lead to the appeal pipeline's "chat with
  manager" status; `lead_ref` (our request id in the lead book, wewall/leads) gets amoCRM's
  contact and lead ids back;
- `manager_on` / `manager_off` {reason}: a manager took the chat / it was given back (noted);
- `calculation`, `search`: one more of them, for the engagement statuses.

The engagement counters are also read from the `calculations_count` / `searches_count`
slots when a feature keeps its own count (outbox.COUNTER_SLOTS).

Kept free of Rasa and SQLAlchemy imports: the action server imports it.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

CRM_EVENT_SLOT = "crm_event"
COMMANDS = ("handover", "manager_on", "manager_off", "calculation", "search")


def crm_command(kind: str, **data: Any) -> List[Dict[str, Any]]:
    """Events (rasa_sdk SlotSet dicts) that put one command into the outbox."""
    if kind not in COMMANDS:
        raise ValueError(f"unknown CRM command {kind!r}; known: {', '.join(COMMANDS)}")
    payload = {"type": kind, "id": uuid.uuid4().hex, **data}
    return [
        {"event": "slot", "name": CRM_EVENT_SLOT, "value": payload},
        {"event": "slot", "name": CRM_EVENT_SLOT, "value": None},
    ]
