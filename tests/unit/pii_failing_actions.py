"""An action package for tests/unit/test_logs_pii.py: one action that fails, the way a bug in a
real action does, with the client's text in its exception."""

from rasa_sdk import Action


class ActionExplode(Action):
    def name(self) -> str:
        return "action_explode"

    async def run(self, dispatcher, tracker, domain):
        raise ValueError(f"cannot read {tracker.latest_message.get('text')!r}")
