"""Imported by the action server with every module of `actions`: masks phones and tokens in its
logs and marks each record with the conversation id (see wewall/logs.py)."""

from wewall.logs import install_action_server

install_action_server()
