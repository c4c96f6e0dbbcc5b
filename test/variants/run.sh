#!/usr/bin/env bash
# npm run -s test:variants — brings the test environment up (test/env/up.sh: a no-op apply when it is
# already up), then applies each stack config of test/variants/catalog.ts to it in place and holds
# verify's report to what each config implies (test/variants/run.ts). Extra arguments: variant names.
# TESTENV_KEEP=1 leaves the environment up afterwards (the default takes it down, as test:integration does).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${TESTENV_KEEP:-0}" != 1 ]; then bash "$ROOT/test/env/down.sh" || { [ "$rc" = 0 ] && rc=1; }; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash "$ROOT/test/env/up.sh" || exit 1
timeout --foreground --kill-after=30 "${VARIANTS_TIMEOUT:-3000}" "$ROOT/node_modules/.bin/tsx" "$ROOT/test/variants/run.ts" "$@"
