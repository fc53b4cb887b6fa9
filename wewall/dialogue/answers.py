"""How every form ends reading a client's message (the calculation, the search, the viewing)."""

from __future__ import annotations

from typing import Any, Collection, Dict, Mapping, Optional

DEFAULT_ASK_AGAIN = "Не понял ответ, попробуйте ещё раз."


def close_reading(out: Any, slots: Dict[str, Any], turn: Any, requested: Optional[str], *, confirmed: str,
                  interruptions: Collection[str], ask_again: Mapping[str, str], what_to_fix: str,
                  ignore: Collection[str] = ()) -> Any:
    """`out` (slots, understood, messages) once the facts of the message are read:
    - a fact that changes while the summary is asked takes the confirmation back (asked again);
    - «нет» to the summary with nothing changed asks what to fix (`what_to_fix`);
    - an answer to the asked question that nothing understood asks the question again, unless
      the message is one of the `interruptions` (a FAQ question, a greeting…)."""
    changed = {k for k, v in out.slots.items() if k not in ignore and v != slots.get(k)}
    if requested == confirmed and changed:
        out.slots[confirmed] = None
    if requested == confirmed and turn.intent == "deny" and not changed:
        out.understood = True
        out.messages.append(what_to_fix)
    if not out.understood and requested and turn.intent not in interruptions:
        out.understood = True
        out.messages.append(ask_again.get(requested, DEFAULT_ASK_AGAIN))
    return out
