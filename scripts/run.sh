#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST and socket.io) on the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
logs="$WEWALL_DATA_DIR/logs"
mkdir -p "$logs"

.venv/bin/rasa run actions --actions actions -p "$WEWALL_ACTIONS_PORT" >"$logs/actions.log" 2>&1 &
actions_pid=$!
# Background jobs: the amoCRM relay (idle, with one log line, when amoCRM is not configured).
.venv/bin/wewall worker >"$logs/worker.log" 2>&1 &
worker_pid=$!
# CORS: the site's origins (space- or comma-separated), e.g. "https://wewall.ru https://www.wewall.ru";
# "*" (any origin) by default for local work. The web chat page takes the same list for <iframe>.
cors="${WEWALL_CORS_ORIGINS:-*}"
read -r -a cors_origins <<<"${cors//,/ }"
.venv/bin/rasa run --enable-api --cors "${cors_origins[@]}" -p "$WEWALL_RASA_PORT" -m models/wewall.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml 2>&1 | tee "$logs/rasa.log" &
rasa_pid=$!
trap 'kill $actions_pid $rasa_pid $worker_pid 2>/dev/null || true' EXIT INT TERM

echo "Запускаю сервер действий и Rasa (первый запуск — до минуты)…"
for _ in $(seq 1 180); do
  if curl -sf "localhost:$WEWALL_RASA_PORT/status" >/dev/null 2>&1; then
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
