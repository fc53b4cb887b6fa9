#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST and socket.io) on the embedded defaults.
#
# Safe by default (issue #22): both servers listen on 127.0.0.1 unless WEWALL_HOST says otherwise
# (WEWALL_HOST=0.0.0.0 behind a firewall or a proxy), and Rasa's HTTP API (trackers with phones,
# events) needs a token: RASA_AUTH_TOKEN, else the one generated at first start into
# $WEWALL_DATA_DIR/rasa_api_token (printed once). The worker's follow-ups use the same token.
# WEWALL_RASA_API=off leaves the HTTP API out altogether.
set -euo pipefail
cd "$(dirname "$0")/.."
logs="$WEWALL_DATA_DIR/logs"
mkdir -p "$logs"
host="${WEWALL_HOST:-127.0.0.1}"
# Links to charts and spreadsheets point at this server's port unless a public URL is configured.
export WEWALL_PUBLIC_BASE_URL="${WEWALL_PUBLIC_BASE_URL:-http://localhost:$WEWALL_RASA_PORT/webhooks/files}"

api_args=()
if [ "${WEWALL_RASA_API:-on}" != "off" ]; then
  token_file="$WEWALL_DATA_DIR/rasa_api_token"
  if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
    if [ ! -s "$token_file" ]; then
      (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' >"$token_file")
      echo "Токен HTTP API Rasa (создан один раз, хранится в $token_file):"
      echo "  $(cat "$token_file")"
      echo "  пример: curl -s 'localhost:$WEWALL_RASA_PORT/conversations/<id>/tracker?token=…'"
    fi
    RASA_AUTH_TOKEN="$(cat "$token_file")"
  fi
  export RASA_AUTH_TOKEN  # the worker (follow-ups) calls the API with it
  api_args=(--enable-api)
fi

SANIC_HOST="$host" .venv/bin/rasa run actions --actions actions -p "$WEWALL_ACTIONS_PORT" >"$logs/actions.log" 2>&1 &
actions_pid=$!
# Background jobs: the amoCRM relay (idle, with one log line, when amoCRM is not configured).
.venv/bin/wewall worker >"$logs/worker.log" 2>&1 &
worker_pid=$!
# CORS: the site's origins (space- or comma-separated), e.g. "https://wewall.ru https://www.wewall.ru";
# "*" (any origin) by default for local work. The web chat page takes the same list for <iframe>.
cors="${WEWALL_CORS_ORIGINS:-*}"
read -r -a cors_origins <<<"${cors//,/ }"
# `rasa run` started from Python, so that the token is not on a command line (`ps` shows those)
.venv/bin/python - "${api_args[@]}" -i "$host" --cors "${cors_origins[@]}" -p "$WEWALL_RASA_PORT" \
  -m models/wewall.tar.gz --endpoints endpoints.yml --credentials credentials.yml <<'PY' 2>&1 | tee "$logs/rasa.log" &
import os, sys
token = os.environ.get("RASA_AUTH_TOKEN")
# "--auth-token=…" in one word: a token may begin with "-" (token_urlsafe does, 1 in 64), and
# argparse would take "--auth-token -xyz" for a missing value and an unknown option
sys.argv = ["rasa", "run", *sys.argv[1:]] + ([f"--auth-token={token}"] if token and "--enable-api" in sys.argv else [])
from rasa.__main__ import main
main()
PY
rasa_pid=$!
trap 'kill $actions_pid $rasa_pid $worker_pid 2>/dev/null || true' EXIT INT TERM

echo "Запускаю сервер действий и Rasa (первый запуск — до минуты)…"
for _ in $(seq 1 180); do
  if curl -sf "localhost:$WEWALL_RASA_PORT/" >/dev/null 2>&1; then
    cat <<MSG

WeWall Bot запущен.
  REST:      curl -s localhost:$WEWALL_RASA_PORT/webhooks/rest/webhook -d '{"sender":"u1","message":"привет"}'
  веб-чат:   http://localhost:$WEWALL_RASA_PORT/webhooks/webchat/
  socket.io: http://localhost:$WEWALL_RASA_PORT/socket.io
  журналы:   $logs
Остановить: Ctrl+C
MSG
    wait $rasa_pid
    exit $?
  fi
  if ! kill -0 $rasa_pid 2>/dev/null; then echo "Rasa не запустилась, см. $logs/rasa.log" >&2; exit 1; fi
  if ! kill -0 $actions_pid 2>/dev/null; then echo "Сервер действий не запустился, см. $logs/actions.log" >&2; exit 1; fi
  sleep 1
done
echo "Rasa не ответила за 3 минуты, см. $logs/rasa.log" >&2
exit 1
