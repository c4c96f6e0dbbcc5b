#!/usr/bin/env bash
# test/start/run.sh — `npm start` the way a new user runs it: a fresh clone of this repository,
# `npm ci`, then `npm start` and nothing else, measured. The host reaches no public registry, so
# the one setting for that is used: LOGGING_BOOTSTRAP_REGISTRY_MIRROR points the local stack at the
# local registry (127.0.0.1:5000), where the test environment's images are also served under the
# template's repository paths (the mirror layout, <mirror>/<repository>:<tag>; Grafana, Loki, Alloy
# and cAdvisor there are the test doubles, test/env/doubles/README.md). Then it checks what
# `npm start` printed: the Grafana URL answers, and the password `npm run -s password` prints logs
# in as the printed user. The Pulumi CLI is the one on PATH (this repository's engine, built by
# npm run -s engine:build), as a user's installed CLI would be. At the end the local stack is
# destroyed with its data (--delete-data --confirm local) and the clone removed.
# It shares the machine's Docker engine and local registry with the test environment: run it when no
# other test command is using them.
set -euo pipefail
exec </dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../env/lib.sh"
cd "$TESTENV_ROOT"

MIRROR="$TESTENV_REGISTRY/testenv-mirror"
WORK="$TESTENV_TMP/start"
CLONE="$WORK/clone"

ensure_engine
ensure_packages
ensure_registry
if command -v go >/dev/null 2>&1; then
  bash "$TESTENV_ROOT/test/engine/build.sh" || die "the engine build failed (npm run -s engine:build)"
  bash "$TESTENV_ROOT/test/engine/build-services.sh" || die "building the service binaries failed"
fi
bash "$TESTENV_ROOT/test/env/build-images.sh"
# The Pulumi CLI on PATH, with its plugins; nothing of the test environment's backend or passphrase:
# npm start must find its own defaults.
[ -f "$TESTENV_ROOT/.tools/engine/env.sh" ] || die "no Pulumi engine: npm run -s engine:build"
# shellcheck disable=SC1091
source "$TESTENV_ROOT/.tools/engine/env.sh"
unset PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE LOGGING_BOOTSTRAP_OUT_DIR

# The mirror layout: each image of the local stack's template, served from the test environment's
# image for the same service and tag.
mirror_images() {
  local tsx="$TESTENV_ROOT/node_modules/.bin/tsx" pairs
  pairs="$("$tsx" -e '
    const fs = require("fs"); const YAML = require("yaml");
    const { mirrorRef } = require(process.argv[1] + "/scripts/lib/local-stack.ts");
    const img = (f) => YAML.parse(fs.readFileSync(f, "utf8")).config["logging-bootstrap:images"];
    const from = img(process.argv[1] + "/test/env/Pulumi.testenv.yaml"), to = img(process.argv[1] + "/stacks/local.template.yaml");
    for (const s of Object.keys(to)) console.log(`${from[s]} ${mirrorRef(to[s], process.argv[2])}`);
  ' "$TESTENV_ROOT" "$MIRROR")" || die "reading the image pins failed"
  while read -r src dst; do
    docker image inspect "$src" >/dev/null 2>&1 || docker pull -q "$src" >/dev/null || die "no image $src (test/env/build-images.sh)"
    docker tag "$src" "$dst" && docker push -q "$dst" >/dev/null || die "pushing $dst failed"
    docker rmi "$dst" >/dev/null 2>&1 || true   # npm start pulls it from the mirror, as a fresh host would
  done <<<"$pairs"
  log "mirror: $(wc -l <<<"$pairs") images under $MIRROR"
}

# The clone holds the local stack's state (.pulumi-state): it is removed only once the stack is gone.
cleanup() {
  [ -d "$CLONE" ] || return 0
  if (cd "$CLONE" && timeout 600 npm run -s bootstrap -- --mode destroy --stack local --delete-data --confirm local >"$WORK/destroy.log" 2>&1); then
    rm -rf "$CLONE"
  else
    log "WARNING: destroying the local stack failed (see $WORK/destroy.log); its state stays in $CLONE"
  fi
}

mirror_images
rm -rf "$WORK" && mkdir -p "$WORK"
log "a fresh clone of $(git -C "$TESTENV_ROOT" rev-parse --short HEAD) into $CLONE"
git clone -q "$TESTENV_ROOT" "$CLONE"
trap cleanup EXIT
cd "$CLONE"
T0=$(date +%s)
timeout 900 npm ci --no-audit --no-fund --prefer-offline >"$WORK/npm-ci.log" 2>&1 || { tail -n 30 "$WORK/npm-ci.log" >&2; die "npm ci failed"; }
T1=$(date +%s)
log "npm ci in $((T1 - T0))s; now: LOGGING_BOOTSTRAP_REGISTRY_MIRROR=$MIRROR npm start"
# pipefail: the pipeline fails with npm start's exit code.
LOGGING_BOOTSTRAP_REGISTRY_MIRROR="$MIRROR" timeout 1800 npm start 2>&1 | tee "$WORK/start.log" || die "npm start failed (log $WORK/start.log)"
T2=$(date +%s)

url="$(sed -n 's/^ *Grafana: *\(http[^ ]*\)$/\1/p' "$WORK/start.log" | tail -n1)"
user="$(sed -n 's/^ *user: *\([^ ]*\)$/\1/p' "$WORK/start.log" | tail -n1)"
cmd="$(sed -n 's/^ *password command: *\(npm .*\)$/\1/p' "$WORK/start.log" | tail -n1)"
[ -n "$url" ] && [ -n "$user" ] && [ -n "$cmd" ] || die "npm start did not print the URL, user and password command"
[ -z "$(git status --porcelain)" ] || { git status --porcelain >&2; die "npm start changed the clone's tracked files"; }
curl -fsS --max-time 5 "$url/api/health" >/dev/null || die "the printed URL $url does not answer"
# The password goes from the command straight into curl's config on stdin: never on a command line, never printed.
pw="$(eval "$cmd" 2>/dev/null)" || die "\`$cmd\` failed"
[ -n "$pw" ] || die "\`$cmd\` printed nothing"
who="$(printf 'user = "%s:%s"\n' "$user" "$pw" | curl -fsS --max-time 5 -K - "$url/api/user")" || die "the printed password does not log in as $user at $url"
unset pw
node -e 'const u = JSON.parse(process.argv[1]); if (u.login !== process.argv[2]) process.exit(1)' "$who" "$user" || die "logged in, but not as $user"
log "npm start on a fresh clone: npm ci $((T1 - T0))s, npm start $((T2 - T1))s; $url answers and the printed password logs in as $user"
