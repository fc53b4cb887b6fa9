"""What the business sees of its bot: figures computed from the tracker store's `events` table.

- `collect.py` reads the events of a period (read-only, streamed one conversation at a time)
  and folds them into a `Report`: conversations, new and returning clients, the funnel of
  every form with the drop-off at each question, FAQ, hand-overs and the manager's first
  reply, sources, and the messages the bot did not understand (masked, grouped);
- `render.py` prints it as a Russian table, JSON or CSV (`wewall stats`, cli.py);
- `digest.py` is the worker's daily/monthly summary to the managers' Telegram chat.
"""
