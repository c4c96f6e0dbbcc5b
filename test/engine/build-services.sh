#!/usr/bin/env bash
# Builds real upstream service binaries from their Go modules (the Go module proxy only) into
# .tools/services/bin/, for test/env/build-images.sh to pack into images.
#
#   test/engine/services/<wrapper>/go.mod+go.sum  one wrapper module per conflicting dependency graph;
#                                                 it only `require`s the upstream module, lists the
#                                                 binaries as `tool`s, and repeats upstream's replaces
#   .tools/services/bin/<binary>-<version>        static (CGO_ENABLED=0), -trimpath, version ldflags
#   .tools/services/manifest.json                 [{binary, module, version, sha256}, ...]
#   .tools/services/logs/<target>.log             go build output + /usr/bin/time -v of each build
#   .tools/services/share/<target>-v<version>/   upstream LICENSE, NOTICE (+ Prometheus 2 consoles)
#   .tools/services/meta/<binary>.json           that binary's manifest entry, less its sha256
#   .tools/services/stamps/<target>               sha256(wrapper go.mod + go.sum + go version + spec)
#
# A target is skipped while its stamp is unchanged and its binaries exist. Usage:
#   test/engine/build-services.sh [target...]     (default: all; targets listed in TARGETS below)
# Env: BUILD_TIMEOUT (s, per go build; default 2400), GO (default go), SERVICES_GOCACHE (default
# .tools/services/go-build).
# Never built here (see services/README.md): Grafana, Loki, Tempo (AGPL); Alloy (requires
# github.com/grafana/loki/v3); cAdvisor's main (module github.com/google/cadvisor/cmd is not served).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES="$ROOT/test/engine/services"
OUT="$ROOT/.tools/services"
BIN="$OUT/bin"; LOGS="$OUT/logs"; STAMPS="$OUT/stamps"
GO="${GO:-go}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-2400}"
# Its own build cache (not the user's), so these builds neither evict nor lean on other projects'
# entries and "cold" means cold; override with SERVICES_GOCACHE.
export GOCACHE="${SERVICES_GOCACHE:-$OUT/go-build}"

# Only the module proxy, only the local toolchain, never edit go.mod/go.sum while building.
export GOPROXY=https://proxy.golang.org GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
unset GOOS GOARCH GOEXPERIMENT 2>/dev/null || true

# target | wrapper dir | upstream module | build tags | binary=package ...
# Tags are upstream's .promu.yml tags minus `builtinassets` (Prometheus's web UI assets are built
# with npm and are not in the Go module; the binaries serve the API without them).
TARGETS=(
  "prometheus-v3|prometheus-v3|github.com/prometheus/prometheus|netgo|prometheus=github.com/prometheus/prometheus/cmd/prometheus promtool=github.com/prometheus/prometheus/cmd/promtool"
  "prometheus-v2|prometheus-v2|github.com/prometheus/prometheus|netgo,stringlabels|prometheus=github.com/prometheus/prometheus/cmd/prometheus promtool=github.com/prometheus/prometheus/cmd/promtool"
  "alertmanager|alertmanager|github.com/prometheus/alertmanager|netgo|alertmanager=github.com/prometheus/alertmanager/cmd/alertmanager amtool=github.com/prometheus/alertmanager/cmd/amtool"
  "node-exporter|node-exporter|github.com/prometheus/node_exporter||node_exporter=github.com/prometheus/node_exporter"
)

log() { printf '[build-services %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v "$GO" >/dev/null || die "no Go toolchain ($GO)"
command -v jq >/dev/null || die "jq is needed (apt-get install -y jq)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install -y time)"
mkdir -p "$BIN" "$LOGS" "$STAMPS" "$OUT/meta"
GOVERSION="$("$GO" env GOVERSION)"

# The version upstream's Makefile/promu would stamp: the VERSION file at the module's root
# (falls back to the module version without the leading v).
module_json() { (cd "$1" && timeout 600 "$GO" mod download -json "$2") ; }

build_target() {
  local spec="$1" name dir module tags bins
  IFS='|' read -r name dir module tags bins <<<"$spec"
  local wdir="$SERVICES/$dir"
  [ -f "$wdir/go.mod" ] && [ -f "$wdir/go.sum" ] || die "$name: $wdir/go.mod or go.sum missing"
  local modver; modver="$(cd "$wdir" && "$GO" list -m -f '{{.Version}}' "$module")"
  local info; info="$(module_json "$wdir" "$module@$modver")" || die "$name: cannot download $module@$modver"
  local mdir; mdir="$(jq -r .Dir <<<"$info")"
  info="$(jq -s '.[0] * .[1]' <(printf '%s' "$info") "$(jq -r .Info <<<"$info")")"  # + Time, Origin
  local version; version="$(tr -d '[:space:]' <"$mdir/VERSION" 2>/dev/null || true)"
  [ -n "$version" ] || version="${modver#v}"
  # Revision: the commit the proxy reports for the tag (Origin), when it reports one.
  local revision; revision="$(jq -r '.Origin.Hash // empty' <<<"$info")"; [ -n "$revision" ] || revision=unknown
  # BuildDate: the tag's time from the proxy, not now, so identical inputs give identical binaries.
  local date; date="$(date -u -d "$(jq -r .Time <<<"$info")" +%Y%m%d-%H:%M:%S)"
  local ldflags="-s -w"
  local v=github.com/prometheus/common/version
  ldflags+=" -X $v.Version=$version -X $v.Revision=$revision -X $v.Branch=HEAD"
  ldflags+=" -X $v.BuildUser=logging-bootstrap@build-services -X $v.BuildDate=$date"

  local stamp; stamp="$(cat "$wdir/go.mod" "$wdir/go.sum" <(printf '%s\n%s\n%s\n' "$GOVERSION" "$spec" "$ldflags") | sha256sum | cut -c1-64)"
  local all_there=1 b
  for b in $bins; do [ -x "$BIN/${b%%=*}-v$version" ] || all_there=0; done
  if [ "$all_there" = 1 ] && [ "$(cat "$STAMPS/$name" 2>/dev/null)" = "$stamp" ]; then
    log "$name: unchanged ($module@$modver), skipped"
    return 0
  fi
  rm -f "$STAMPS/$name"
  : >"$LOGS/$name.log"
  for b in $bins; do
    local bin="${b%%=*}" pkg="${b#*=}" out="$BIN/${b%%=*}-v$version"
    log "$name: building $pkg@$modver -> ${out#"$ROOT"/} (tags: ${tags:-none}, timeout ${BUILD_TIMEOUT}s)"
    local start=$SECONDS tmp="$out.tmp.$$"
    if ! (cd "$wdir" && /usr/bin/time -v -o "$LOGS/$name.$bin.time" timeout "$BUILD_TIMEOUT" \
          "$GO" build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg") >>"$LOGS/$name.log" 2>&1; then
      rm -f "$tmp"; tail -n 20 "$LOGS/$name.log" >&2
      die "$name: go build of $pkg failed (log: ${LOGS#"$ROOT"/}/$name.log)"
    fi
    mv -f "$tmp" "$out"
    jq -n --arg binary "${out#"$ROOT"/}" --arg module "$module@$modver" --arg version "$version" \
      '{binary:$binary,module:$module,version:$version}' >"$OUT/meta/${out##*/}.json"
    local rss; rss="$(awk -F': ' '/Maximum resident set size/{printf "%d MiB", $2/1024}' "$LOGS/$name.$bin.time")"
    log "$name: built $bin in $((SECONDS - start))s (peak RSS of one process: $rss)"
    if file "$out" 2>/dev/null | grep -q 'dynamically linked'; then die "$name: $out is not static"; fi
  done
  # Upstream's LICENSE/NOTICE (and Prometheus 2's console templates, which its image ships) for
  # the images; gitignored like the binaries.
  local share="$OUT/share/$name-v$version" f
  rm -rf "$share"; mkdir -p "$share"
  for f in LICENSE NOTICE consoles console_libraries; do
    if [ -e "$mdir/$f" ]; then cp -r "$mdir/$f" "$share/"; fi
  done
  chmod -R u+w "$share"
  printf '%s\n' "$stamp" >"$STAMPS/$name"
}

# manifest.json: one entry per binary that is there, from the meta/<binary>.json its build wrote.
write_manifest() {
  local f entries=()
  for f in "$OUT"/meta/*.json; do
    [ -e "$f" ] || continue
    local bin; bin="$ROOT/$(jq -r .binary "$f")"
    [ -x "$bin" ] || continue
    jq -c --arg sha256 "$(sha256sum "$bin" | cut -c1-64)" '.sha256=$sha256' "$f"
  done | jq -s 'sort_by(.binary)' >"$OUT/manifest.json.tmp"
  mv -f "$OUT/manifest.json.tmp" "$OUT/manifest.json"
  log "wrote ${OUT#"$ROOT"/}/manifest.json ($(jq length "$OUT/manifest.json") binaries)"
}

main() {
  local want=("$@") spec name
  log "go: $GOVERSION; output: ${BIN#"$ROOT"/}"
  for spec in "${TARGETS[@]}"; do
    name="${spec%%|*}"
    if [ "${#want[@]}" -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then continue; fi
    build_target "$spec"
  done
  write_manifest
}
main "$@"
