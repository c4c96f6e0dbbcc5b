#!/usr/bin/env bash
# End-to-end proof of the provider plugins against the local Docker engine:
# pulumi up / refresh --expect-no-changes / up --expect-no-changes / command
# update + trigger replacement / destroy, through the real npm SDKs (program/),
# then two probes whose outcome is reported, not asserted (known perpetual diffs,
# upload owner/group with a "uid:gid" container user).
#
# Needs: the engine CLI (PULUMI, default .tools/engine/bin/pulumi with its
# Node.js language host beside it), the plugins built by ../../build-providers.sh,
# the project's node_modules, Docker at DOCKER_HOST or /var/run/docker.sock.
# Everything else lives in a temp dir (file backend, PULUMI_HOME) removed at the end.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
ENGINE="$ROOT/.tools/engine"
PULUMI="${PULUMI:-$ENGINE/bin/pulumi}"
MANIFEST="$ENGINE/plugins.json"
[ -x "$PULUMI" ] || { echo "no pulumi CLI at $PULUMI (run test/engine/build.sh)" >&2; exit 1; }
[ -f "$MANIFEST" ] || { echo "no $MANIFEST (run test/engine/build-providers.sh)" >&2; exit 1; }

W="$(mktemp -d /tmp/providers-e2e.XXXXXX)"
export PULUMI_HOME="$W/home" PULUMI_BACKEND_URL="file://$W/state" PULUMI_CONFIG_PASSPHRASE=e2e \
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
  PATH="$(dirname "$PULUMI"):$PATH" E2E_DATA_ROOT="$W/hostdata" E2E_PREFIX="lbe2e$$"
mkdir -p "$W/state" "$W/home" "$E2E_DATA_ROOT"
cp -R "$HERE/program" "$W/program"
ln -s "$ROOT/node_modules" "$W/program/node_modules"
cd "$W/program"

T0=$(date +%s)
say() { printf '[providers-e2e +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
FAILED=0
step() { # step <name> <command...>: run, keep the log, report
  local name="$1"; shift
  if timeout 900 "$@" >"$W/$name.log" 2>&1; then say "PASS $name"; else say "FAIL $name (log: $W/$name.log)"; tail -30 "$W/$name.log"; FAILED=1; fi
}
cleanup() {
  timeout 600 pulumi destroy --yes --non-interactive >/dev/null 2>&1 || true
  if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else say "kept $W"; fi
}
trap cleanup EXIT

# Test image: a static busybox as the only file (nothing can be pulled).
if ! docker image inspect "${E2E_IMAGE:-lb-test/busybox:1}" >/dev/null 2>&1; then
  bb="$(command -v busybox)"; mkdir -p "$W/rootfs"; cp "$bb" "$W/rootfs/busybox"
  tar -C "$W/rootfs" -c . | docker import -c 'ENTRYPOINT ["/busybox"]' - "${E2E_IMAGE:-lb-test/busybox:1}" >/dev/null
  say "imported ${E2E_IMAGE:-lb-test/busybox:1}"
fi

while IFS=$'\t' read -r name version file; do
  pulumi plugin install resource "$name" "$version" --file "$file" >/dev/null 2>&1
done < <(node -e 'for (const p of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) console.log([p.name, p.version, p.file].join("\t"))' "$MANIFEST")
say "plugins: $(pulumi plugin ls 2>/dev/null | awk 'NR>1 && $1 != "" && $1 != "TOTAL" {printf "%s %s; ", $1, $3}')"
pulumi stack init e2e --non-interactive >/dev/null 2>&1

step up              pulumi up --yes --non-interactive
step curl            curl -fsS "http://127.0.0.1:${E2E_PORT:-18080}/"
step refresh-clean   pulumi refresh --yes --non-interactive --expect-no-changes
step up-clean        pulumi up --yes --non-interactive --expect-no-changes --diff
E2E_CREATE_CHANGED=1 step command-update pulumi up --yes --non-interactive --diff
grep -q '"changed"' "$W/command-update.log" && grep -qE '~ +1 updated' "$W/command-update.log" \
  && say "PASS command-update ran create again in place" || { say "FAIL command-update semantics"; FAILED=1; }
E2E_CREATE_CHANGED=1 E2E_TRIGGER=t1 step command-replace pulumi up --yes --non-interactive --diff
[ -f "$E2E_DATA_ROOT/deleted" ] && grep -q 'replaced' "$W/command-replace.log" \
  && say "PASS triggers replaced the command and ran its delete" || { say "FAIL command-replace semantics"; FAILED=1; }
export E2E_CREATE_CHANGED=1 E2E_TRIGGER=t1
step refresh-clean-2 pulumi refresh --yes --non-interactive --expect-no-changes
step up-clean-2      pulumi up --yes --non-interactive --expect-no-changes

# Probes: report only.
E2E_DRIFT_PROBE=1 timeout 600 pulumi up --yes --non-interactive >"$W/drift-up.log" 2>&1 || true
if E2E_DRIFT_PROBE=1 timeout 600 pulumi preview --non-interactive --diff --expect-no-changes >"$W/drift-preview.log" 2>&1; then
  say "probe: no perpetual diff for memorySwap unset / 1m durations"
else
  say "probe: perpetual diff (memorySwap unset, healthcheck durations >= 1m):"
  grep -E '^\s+[~+-] ' "$W/drift-preview.log" | grep -vE 'docker:index' | sed 's/^/    /'
fi
if E2E_OWNER_PROBE=1 timeout 600 pulumi up --yes --non-interactive >"$W/owner.log" 2>&1; then
  say "probe: upload with owner/group into a uid:gid-user container works"
else
  say "probe: upload with owner/group into a uid:gid-user container fails:"
  grep -m1 -o 'Unable to upload.*' "$W/owner.log" | sed 's/^/    /'
fi

step destroy pulumi destroy --yes --non-interactive
left="$(docker ps -a --filter "name=$E2E_PREFIX" -q; docker network ls --filter "name=$E2E_PREFIX" -q; docker volume ls --filter "name=$E2E_PREFIX" -q)"
[ -z "$left" ] && say "PASS nothing left behind" || { say "FAIL left behind: $left"; FAILED=1; }
[ "$FAILED" = 0 ] && say "ALL PASSED" || say "FAILURES"
exit "$FAILED"
