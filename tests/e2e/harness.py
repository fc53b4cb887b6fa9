"""End-to-end harness: the servers of wewall/devservers.py (shared with bench/), as the tests name them."""

from wewall.devservers import (  # noqa: F401
    BIN, MODEL_INPUTS, PROJECT_ROOT, REST_HEADERS, REST_TOKEN, BotServers, base_env, conversation_key, free_port,
    reachable, trained_model,
)
