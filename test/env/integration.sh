#!/usr/bin/env bash
# npm run test:integration — brings the test environment up (test/env/up.sh), runs the jest
# `integration` project in band against it, and takes it down again on every exit path (success,
# failure, Ctrl-C). Extra arguments go to jest. TESTENV_KEEP=1 skips the final down (debugging).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${TESTENV_KEEP:-0}" = 1 ]; then
    echo "[testenv] TESTENV_KEEP=1: leaving the environment up (npm run testenv:down removes it)" >&2
  else
    # A failed teardown fails the run even when the tests passed (CI must not leave an engine behind silently).
    bash "$ROOT/test/env/down.sh" || { [ "$rc" = 0 ] && rc=1; }
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$ROOT/test/env/up.sh" || exit 1
# Every test has its own timeout; this bounds the whole suite too (about 2 min when idle; CI's
# budget is 90 min for everything), so a wedged engine cannot hold the job until CI kills it.
# --foreground: jest stays in the terminal's process group, so Ctrl-C still reaches it.
timeout --foreground --kill-after=30 "${TESTENV_SUITE_TIMEOUT:-2400}" npx jest --selectProjects integration --runInBand "$@"
