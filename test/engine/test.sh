#!/usr/bin/env bash
# npm run -s engine:test — the Go tests of what this repository builds for the engine: the Node.js
# language host's pure parts (test/engine/cli/langhost), the providers (names against the npm
# SDKs, the command provider's semantics) and the pure parts of our cAdvisor main
# (test/engine/services/cadvisor). Needs Go; run after engine:build (it prepares the shimmed
# upstream modules the providers module builds against).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v go >/dev/null || { echo "engine:test: go is not on PATH" >&2; exit 1; }
echo "[engine:test] language host"
(cd "$ROOT/test/engine/cli" && go test -count=1 ./langhost/)
echo "[engine:test] providers"
bash "$ROOT/test/engine/build-providers.sh" --prepare-only
(cd "$ROOT/test/engine/providers" && go test -count=1 ./...)
echo "[engine:test] cadvisor main (test/engine/services/cadvisor: our main over cAdvisor's library modules)"
(cd "$ROOT/test/engine/services/cadvisor" && GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 go test -count=1 -tags netgo .)
