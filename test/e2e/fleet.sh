#!/usr/bin/env bash
# npm run -s e2e:fleet — issue 20's fleet act on the real engines (test/e2e/fleet.ts has the steps):
# three hosts up (TESTENV_FLEET=1 testenv up: central = this machine's engine, b and c network
# namespaces with their own dockerd) and proven per host; the LAN probe; c's dockerd stopped -> verify
# red naming c, b green, drift --host b green meanwhile; c back -> green, repair --host c rebuilds c
# alone; c removed from the config -> its agents gone, its data kept, b untouched; c added back ->
# its agents on the kept data, b untouched, central containers replaced only where the rendered config
# names the hosts; down. Root (network namespaces). It brings the test environment up and down, so on a
# shared machine run it under the test environment's lock:
#   flock -o /work/team/testenv.lock npm run -s e2e:fleet
# Every command's output: test/.tmp/e2e-fleet/logs (one file each). Exit 0 only if every step held.
set -euo pipefail
exec </dev/null
export TESTENV_FLEET=1
source "$(dirname "${BASH_SOURCE[0]}")/../env/lib.sh"
cd "$TESTENV_ROOT"

# What ensure_pulumi exports (backend, passphrase, the built CLI on PATH), for the driver's own
# bootstrap and verify calls; up.sh and down.sh set it up again for themselves. As the one-host stack
# here: the fleet's stack file needs host c's certificates, which up makes (ensure_fleet).
ensure_engine
TESTENV_FLEET=0 ensure_pulumi >/dev/null

E2E_FLEET_TMP="$TESTENV_TMP/e2e-fleet"
rm -rf "$E2E_FLEET_TMP/logs"
mkdir -p "$E2E_FLEET_TMP/logs" "$E2E_FLEET_TMP/out"
export LOGGING_BOOTSTRAP_OUT_DIR="$E2E_FLEET_TMP/out"
export E2E_STACK="$TESTENV_STACK" E2E_STACK_FILE="$TESTENV_STACK_FILE" E2E_PROJECT="$TESTENV_PROJECT"
export E2E_POLICY_CONFIG="$TESTENV_FLEET_POLICY" E2E_SECRETS_FILE="$TESTENV_TMP/secrets.env" E2E_RECORDED="$TESTENV_TMP/testenv.json"
export E2E_FLEET_LOG_DIR="$E2E_FLEET_TMP/logs" E2E_FLEET_RUN=/run/logging-fleet
# verify reaches host c's tcp:// engine with the client certificate up made (a directory, never its content).
export "DOCKER_CERT_PATH_$(printf '%s' "$TESTENV_FLEET_TLS_HOST" | tr 'a-z-' 'A-Z_')=$TESTENV_FLEET_TLS_DIR"

START=$(date +%s)
rc=0
timeout 5400 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/e2e/fleet.ts" || rc=$?
# The driver takes the environment down itself (step 7); if it did not finish (killed, timed out,
# could not run), take it down here so no fleet host stays behind.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  log "e2e:fleet: the driver ended with exit $rc: taking the environment down"
  TESTENV_KEEP_ENGINE=1 bash "$TESTENV_ROOT/test/env/down.sh" >"$E2E_FLEET_TMP/logs/down-fallback.log" 2>&1 || log "down.sh failed (see $E2E_FLEET_TMP/logs/down-fallback.log)"
fi
log "e2e:fleet: exit $rc, wall time $(( $(date +%s) - START )) s"
exit $rc
