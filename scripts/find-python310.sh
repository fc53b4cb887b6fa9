#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (Rasa 3.6 needs Python < 3.11), or explains and fails.
set -u
try() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { command -v "$1" || echo "$1"; exit 0; }; }
[ -n "${PYTHON310:-}" ] && try "$PYTHON310"
try python3.10
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10*/bin/python3.10; do [ -x "$p" ] && try "$p"; done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -x "$p" ] && try "$p"
done
cat >&2 <<'MSG'
Ошибка: не найден Python 3.10. Rasa 3.6 работает только на Python 3.8–3.10.
Установите его (например, `pyenv install 3.10.13` или пакет python3.10) или укажите путь:
  make install PYTHON310=/path/to/python3.10
MSG
exit 1
