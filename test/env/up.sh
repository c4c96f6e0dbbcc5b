#!/usr/bin/env bash
# npm run testenv:up — the real local test environment (see test/env/README.md):
#   1. a Docker engine: the running one, else Debian's docker.io (dockerd --iptables=false, started
#      here, log test/.tmp/dockerd.log);
#   2. Debian's docker-registry on 127.0.0.1:5000 (storage test/.tmp/registry/data);
#   3. the real service binaries built from their Go modules (test/engine/build-services.sh, cached)
#      and the images built offline and pushed there (test/env/build-images.sh; cached by input hash);
#   4. the Pulumi engine (test/engine/build.sh, cached) and the testenv stack on a local file backend
#      under test/.tmp/pulumi;
#   5. `npm run -s bootstrap -- --mode apply` of that stack: pulumi up (the proofs run as part of
#      it), then verify, then the evidence bundle (under test/.tmp/out);
#   6. `npm run -s render` of the stack (the exact files each container receives) and
#      test/.tmp/testenv.json + secrets.env for the integration tests (test/env/describe.ts).
# Idempotent: a second run is a no-op `pulumi up`. Bounded: every wait has a deadline.
# Env: TESTENV_RECREATE=loki,grafana rebuilds those containers (repair: pulumi up --target-replace);
# TESTENV_FORCE=1 rebuilds every container.
# TESTENV_FLEET=1: the three-host environment: fleet hosts b and c (test/env/fleet/hosts.sh: network
# namespaces with a dockerd each; c's engine on tcp:// with TLS client certificates) come up before
# the stack, whose file gets the fleet's keys (test/env/fleet/Pulumi.testenv.fleet.yaml) and c's TLS
# leaves as secrets; apply runs with the fleet's policy config (test/env/fleet/policy.json).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESTENV_ROOT"
START=$(date +%s)

ensure_engine
ensure_packages   # busybox-static for the images, docker-registry, curl
ensure_registry
if command -v go >/dev/null 2>&1; then
  bash "$TESTENV_ROOT/test/engine/build-services.sh" || die "building the service binaries failed (test/engine/build-services.sh)"
else
  log "WARNING: no Go toolchain: the real service binaries cannot be built; images without them are skipped"
fi
bash "$TESTENV_ROOT/test/env/build-images.sh"
ensure_alert_sink
if [ "$TESTENV_FLEET" = 1 ]; then ensure_fleet; fi
ensure_pulumi
seed_journal
if [ "$TESTENV_FLEET" = 1 ]; then for h in $TESTENV_FLEET_HOSTS; do seed_journal "$TESTENV_HOST_ROOT/hosts/${h%%:*}/journal"; done; fi
mapfile -t POLICY_ARGS < <(testenv_policy_args)

export LOGGING_BOOTSTRAP_OUT_DIR="$TESTENV_TMP/out"
bootstrap() { timeout 900 npm run -s bootstrap -- --stack "$TESTENV_STACK" --config-file "$TESTENV_STACK_FILE" ${POLICY_ARGS[@]+"${POLICY_ARGS[@]}"} "$@"; }

# Rebuild named containers (an undone fault inside a container): a targeted repair replaces them.
recreate="${TESTENV_RECREATE:-}"
if [ "${TESTENV_FORCE:-0}" = 1 ]; then recreate="grafana,loki,alloy,prometheus,node-exporter,cadvisor,alertmanager"; fi
if [ -n "$recreate" ] && pulumi stack output --stack "$TESTENV_STACK" --non-interactive >/dev/null 2>&1; then
  targets=()
  for name in ${recreate//,/ }; do
    name="${name#"$TESTENV_PROJECT"-}"
    [ "$name" = nodeExporter ] && name=node-exporter
    urn="$(container_urn "$TESTENV_PROJECT-$name")" || die "no container $TESTENV_PROJECT-$name in the stack"
    targets+=(--target "$urn")
  done
  log "repair: rebuilding ${recreate}"
  bootstrap --mode repair "${targets[@]}" >"$TESTENV_TMP/repair.log" 2>&1 || { tail -n 40 "$TESTENV_TMP/repair.log" >&2; die "repair failed (see $TESTENV_TMP/repair.log)"; }
fi

log "pulumi up of stack $TESTENV_STACK ($(pulumi version))$([ "$TESTENV_FLEET" = 1 ] && echo ", three hosts: local, $TESTENV_FLEET_HOSTS")"
bootstrap --mode apply >"$TESTENV_TMP/apply.log" 2>&1 || { tail -n 60 "$TESTENV_TMP/apply.log" >&2; die "bootstrap --mode apply failed (see $TESTENV_TMP/apply.log and the bundle under $LOGGING_BOOTSTRAP_OUT_DIR/runs)"; }
tail -n 12 "$TESTENV_TMP/apply.log" >&2

# The generated stack file, not the tracked one: it holds what this environment adds at run time
# (the alert sink receiver), so what render and verify expect is what up deployed.
log "render: $TESTENV_STACK_FILE -> $TESTENV_TMP/render"
timeout 180 npm run -s render -- --stack "$TESTENV_STACK" --config-file "$TESTENV_STACK_FILE" --out "$TESTENV_TMP/render" >"$TESTENV_TMP/render.log" 2>&1 \
  || { cat "$TESTENV_TMP/render.log" >&2; die "render failed"; }
pulumi stack output --stack "$TESTENV_STACK" --json --non-interactive >"$TESTENV_TMP/outputs.json"
timeout 120 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/env/describe.ts" \
  --outputs "$TESTENV_TMP/outputs.json" --config-file "$TESTENV_STACK_FILE" --stack-file "$TESTENV_STACK_FILE" \
  --render "$TESTENV_TMP/render" --tmp "$TESTENV_TMP" --socket "$TESTENV_SOCKET" \
  ${POLICY_ARGS[@]+"${POLICY_ARGS[@]}"} $([ "$TESTENV_FLEET" = 1 ] && printf -- '--fleet-tls %s' "$TESTENV_FLEET_TLS_HOST=$TESTENV_FLEET_TLS_DIR") \
  || die "describing the environment failed"

log "testenv up in $(( $(date +%s) - START ))s: $TESTENV_TMP/testenv.json"
