#!/usr/bin/env bash
# Every check CI runs, in order of cost; prints a short summary at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
declare -a names=() results=()
failed=0
step() {
  local name=$1; shift
  local start=$SECONDS
  echo; echo "=== $name"
  if "$@"; then results+=("ok    $(printf '%4ds' $((SECONDS - start)))  $name")
  else results+=("FAIL  $(printf '%4ds' $((SECONDS - start)))  $name"); failed=1; fi
}
step "ruff and mypy" make --no-print-directory lint
step "docker-compose.yml (docker-compose config)" scripts/check-compose.sh
step "rasa data validate" make --no-print-directory validate
step "rasa train" make --no-print-directory train
step "pytest (unit, contract, end-to-end)" make --no-print-directory pytest
step "rasa test: conversation tests" make --no-print-directory test-stories
step "rasa test: NLU test set" make --no-print-directory test-nlu
echo; echo "=== summary"
printf '%s\n' "${results[@]}"
exit $failed
