#!/usr/bin/env bash
# Validates docker-compose.yml (and that .env.example names every variable it requires):
# `docker-compose config -q` with .env.example as the .env. Installs Debian's docker-compose
# when it is missing (idempotent: nothing happens when it is there).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "docker-compose is missing: installing Debian's package"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker-compose >/dev/null
  compose=(docker-compose)
fi

# The file's directory is the project: copy what it references next to a .env made of the example.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp docker-compose.yml Dockerfile "$tmp/"
cp -r deploy "$tmp/deploy"
cp .env.example "$tmp/.env"
"${compose[@]}" --project-directory "$tmp" --env-file "$tmp/.env" -f "$tmp/docker-compose.yml" config -q
"${compose[@]}" --project-directory "$tmp" --env-file "$tmp/.env" -f "$tmp/docker-compose.yml" config --services \
  | sort | tr '\n' ' ' | grep -q "actions mongo nginx postgres rabbitmq rasa redis worker" \
  || { echo "docker-compose.yml: a service is missing" >&2; exit 1; }
echo "docker-compose.yml: valid (services: rasa, actions, worker, nginx, postgres, redis, rabbitmq, mongo)"
