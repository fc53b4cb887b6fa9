"""An action package for tests/unit/test_logs_pii.py: one action that fails, the way a bug in a
real action does, with the client's messages in its exception."""

from rasa_sdk import Action


class ActionExplode(Action):
    def name(self) -> str:
        return "action_explode"

    async def run(self, dispatcher, tracker, domain):
        # every message of the client, as a list's repr: escapes (\xa0) as Python prints them
        said = [event.get("text") for event in tracker.events if event.get("event") == "user"]
        raise ValueError(f"cannot read {said!r}")
