#!/usr/bin/env bash
# Builds real upstream service binaries from their Go modules (the Go module proxy only) into
# .tools/services/bin/, for test/env/build-images.sh to pack into images.
#
#   test/engine/services/<wrapper>/go.mod+go.sum  one wrapper module per conflicting dependency graph;
#                                                 it `require`s the upstream module, lists the
#                                                 binaries as `tool`s, and repeats upstream's replaces
#                                                 (cadvisor: also our own main package, *.go)
#   .tools/services/bin/<binary>-<version>        static (CGO_ENABLED=0), -trimpath, version ldflags
#   .tools/services/manifest.json                 [{binary, module, version, sha256}, ...]
#   .tools/services/overlay/<target>/, work/<target>/   -overlay placeholders and where they build
#   .tools/services/logs/<target>.log             go build output + /usr/bin/time -v of each build
#   .tools/services/share/<target>-v<version>/   upstream LICENSE, NOTICE (+ Prometheus 2 consoles)
#   .tools/services/meta/<binary>.json           that binary's manifest entry, less its sha256
#   .tools/services/stamps/<target>               sha256(wrapper go.mod + go.sum + go version + spec)
#
# A target is skipped while its stamp is unchanged and its binaries exist. Usage:
#   test/engine/build-services.sh [target...]     (default: all; targets listed in TARGETS below)
# Env: BUILD_TIMEOUT (s, per go build; default 2400), GO (default go), SERVICES_GOCACHE (default:
# Go's own build cache, `go env GOCACHE`), FORCE=1 (rebuild even when the stamp is unchanged).
# Never built here (see services/README.md): Grafana, Loki, Tempo (AGPL); Alloy (requires
# github.com/grafana/loki/v3); upstream's cAdvisor main (module github.com/google/cadvisor/cmd is not
# served: the cadvisor target is our own main over cAdvisor's library modules).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES="$ROOT/test/engine/services"
OUT="$ROOT/.tools/services"
BIN="$OUT/bin"; LOGS="$OUT/logs"; STAMPS="$OUT/stamps"
GO="${GO:-go}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-2400}"
# Go's own build cache: it outlives this checkout, so a fresh clone on the same machine (CI)
# relinks instead of recompiling; SERVICES_GOCACHE points elsewhere (e.g. to measure a cold build).
export GOCACHE="${SERVICES_GOCACHE:-$("$GO" env GOCACHE)}"

# Only the module proxy, only the local toolchain, never edit go.mod/go.sum while building.
export GOPROXY=https://proxy.golang.org GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
unset GOOS GOARCH GOEXPERIMENT 2>/dev/null || true

# target | wrapper dir | upstream module | build tags | binary=package ... | placeholder files | version scheme
# Tags are upstream's .promu.yml tags minus `builtinassets` (Prometheus's web UI assets are built
# with npm and are not in the Go module; the binaries serve the API without them); Caddy's are its
# .goreleaser.yml tags, cAdvisor's the `netgo` of its build (`libpfm` needs cgo: left out).
# Version scheme (how the version reaches the binary; see version_ldflags): prometheus (default:
# -X github.com/prometheus/common/version.*), cadvisor (-X github.com/google/cadvisor/lib/version.*,
# as upstream's build/build.sh), caddy (-X github.com/caddyserver/caddy/v2.CustomVersion, the
# variable upstream provides for packagers: built as the package path, Caddy is the build info's
# main module, not a dependency, and its Version() would report "unknown"; upstream's release
# instead copies cmd/caddy/main.go into a module of its own).
# A package `.` is a main package of the wrapper module itself (our cAdvisor main); its *.go files
# are part of the stamp.
# Placeholder files: paths inside the module that upstream generates before `go build` (web UI
# bundles, built with npm/elm, not in the module zip) and that a //go:embed needs to exist; each
# gets a small "UI not built" page through `go build -overlay`. Go refuses overlays beneath
# GOMODCACHE, so such a target builds in .tools/services/work/<target>: a copy of the wrapper's
# go.mod/go.sum plus `replace <module> => ./src`, src being an unmodified copy of the verified
# module from the module cache; the overlay adds the placeholders, no Go source is changed.
# Alertmanager 0.35's ui/web.go has `//go:embed app/dist`; 0.27's UI is generated Go code
# (asset/assets_vfsdata.go) inside the module, so that target needs no placeholders.
# The -v0.27 / -v1.8 targets are the 2024 pins' versions (test:variants pins-2024), each in a
# wrapper of its own: their dependency graphs are older than the current versions'.
TARGETS=(
  "prometheus-v3|prometheus-v3|github.com/prometheus/prometheus|netgo|prometheus=github.com/prometheus/prometheus/cmd/prometheus promtool=github.com/prometheus/prometheus/cmd/promtool"
  "prometheus-v2|prometheus-v2|github.com/prometheus/prometheus|netgo,stringlabels|prometheus=github.com/prometheus/prometheus/cmd/prometheus promtool=github.com/prometheus/prometheus/cmd/promtool"
  "alertmanager|alertmanager|github.com/prometheus/alertmanager|netgo|alertmanager=github.com/prometheus/alertmanager/cmd/alertmanager amtool=github.com/prometheus/alertmanager/cmd/amtool|ui/app/dist/elm/index.html.gz ui/app/dist/mantine/index.html.gz"
  "node-exporter|node-exporter|github.com/prometheus/node_exporter||node_exporter=github.com/prometheus/node_exporter"
  "alertmanager-v0.27|alertmanager-v0.27|github.com/prometheus/alertmanager|netgo|alertmanager=github.com/prometheus/alertmanager/cmd/alertmanager amtool=github.com/prometheus/alertmanager/cmd/amtool"
  "node-exporter-v1.8|node-exporter-v1.8|github.com/prometheus/node_exporter||node_exporter=github.com/prometheus/node_exporter"
  "caddy|caddy|github.com/caddyserver/caddy/v2|nobadger,nomysql,nopgx|caddy=github.com/caddyserver/caddy/v2/cmd/caddy||caddy"
  "cadvisor|cadvisor|github.com/google/cadvisor|netgo|cadvisor=.||cadvisor"
)

PLACEHOLDER_HTML='<!doctype html><html><head><meta charset="utf-8"><title>UI not built</title></head><body><p>This binary was built from its Go module, which does not contain the web UI bundle (upstream builds it with npm before go build). The HTTP API works; the UI does not.</p></body></html>'

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

# placeholder_overlay <target> <module dir> <path...>: writes .tools/services/overlay/<target>/
# overlay.json for `go build -overlay`, mapping each module path to PLACEHOLDER_HTML (gzip -n for
# *.gz, so the bytes are the same every time).
placeholder_overlay() {
  local name="$1" mdir="$2"; shift 2
  local odir="$OUT/overlay/$name" p f json='{"Replace":{}}'
  rm -rf "$odir"; mkdir -p "$odir"
  for p in "$@"; do
    f="$odir/$(printf '%s' "$p" | tr / _)"
    if [[ "$p" == *.gz ]]; then printf '%s\n' "$PLACEHOLDER_HTML" | gzip -9n >"$f"; else printf '%s\n' "$PLACEHOLDER_HTML" >"$f"; fi
    json="$(jq --arg k "$mdir/$p" --arg v "$f" '.Replace[$k]=$v' <<<"$json")"
  done
  printf '%s\n' "$json" >"$odir/overlay.json"
}

# version_ldflags <scheme> <version> <revision> <date>: the -X flags that stamp the version.
version_ldflags() {
  local v
  case "$1" in
    prometheus|"")
      v=github.com/prometheus/common/version
      printf ' -X %s.Version=%s -X %s.Revision=%s -X %s.Branch=HEAD' "$v" "$2" "$v" "$3" "$v"
      printf ' -X %s.BuildUser=logging-bootstrap@build-services -X %s.BuildDate=%s' "$v" "$v" "$4" ;;
    cadvisor) # upstream's version is the git tag (v0.60.5), its GoVersion the bare number
      v=github.com/google/cadvisor/lib/version
      printf ' -X %s.Version=v%s -X %s.Revision=%s -X %s.Branch=HEAD' "$v" "$2" "$v" "$3" "$v"
      printf ' -X %s.BuildUser=logging-bootstrap@build-services -X %s.BuildDate=%s -X %s.GoVersion=%s' "$v" "$v" "$4" "$v" "${GOVERSION#go}" ;;
    caddy) printf ' -X github.com/caddyserver/caddy/v2.CustomVersion=v%s' "$2" ;;
    *) die "unknown version scheme $1" ;;
  esac
}

build_target() {
  local spec="$1" name dir module tags bins
  local placeholders scheme
  IFS='|' read -r name dir module tags bins placeholders scheme <<<"$spec"
  local wdir="$SERVICES/$dir"
  [ -f "$wdir/go.mod" ] && [ -f "$wdir/go.sum" ] || die "$name: $wdir/go.mod or go.sum missing"
  local modver; modver="$(cd "$wdir" && "$GO" list -m -f '{{.Version}}' "$module")"
  local info; info="$(module_json "$wdir" "$module@$modver")" || die "$name: cannot download $module@$modver"
  local mdir; mdir="$(jq -r .Dir <<<"$info")"
  info="$(jq -s '.[0] * .[1]' <(printf '%s' "$info") "$(jq -r .Info <<<"$info")")"  # + Time, Origin
  local version=""; if [ -f "$mdir/VERSION" ]; then version="$(tr -d '[:space:]' <"$mdir/VERSION")"; fi
  [ -n "$version" ] || version="${modver#v}"
  # Revision: the commit the proxy reports for the tag (Origin), when it reports one.
  local revision; revision="$(jq -r '.Origin.Hash // empty' <<<"$info")"; [ -n "$revision" ] || revision=unknown
  # BuildDate: the tag's time from the proxy, not now, so identical inputs give identical binaries.
  local date; date="$(date -u -d "$(jq -r .Time <<<"$info")" +%Y%m%d-%H:%M:%S)"
  local ldflags="-s -w$(version_ldflags "$scheme" "$version" "$revision" "$date")"
  # The wrapper's own Go files (a main package of ours), in name order, are part of the stamp.
  local srcs=(); mapfile -t srcs < <(find "$wdir" -maxdepth 1 -name '*.go' ! -name '*_test.go' | sort)

  local stamp; stamp="$(cat "$wdir/go.mod" "$wdir/go.sum" "${srcs[@]}" <(printf '%s\n%s\n%s\n%s\n' "$GOVERSION" "$spec" "$ldflags" "${placeholders:+$PLACEHOLDER_HTML}") | sha256sum | cut -c1-64)"
  local all_there=1 b
  for b in $bins; do [ -x "$BIN/${b%%=*}-v$version" ] || all_there=0; done
  if [ "${FORCE:-0}" != 1 ] && [ "$all_there" = 1 ] && [ "$(cat "$STAMPS/$name" 2>/dev/null)" = "$stamp" ]; then
    log "$name: unchanged ($module@$modver), skipped"
    return 0
  fi
  rm -f "$STAMPS/$name"
  : >"$LOGS/$name.log"
  local overlay=() bdir="$wdir"
  if [ -n "$placeholders" ]; then
    bdir="$OUT/work/$name"
    rm -rf "$bdir"; mkdir -p "$bdir/src"
    cp -r "$mdir/." "$bdir/src/"; chmod -R u+w "$bdir/src"
    cp "$wdir/go.mod" "$wdir/go.sum" "$bdir/"
    printf '\n// build-services.sh: the module, copied unchanged from the module cache (an -overlay\n// may not replace files there)\nreplace %s %s => ./src\n' "$module" "$modver" >>"$bdir/go.mod"
    # shellcheck disable=SC2086
    placeholder_overlay "$name" "$bdir/src" $placeholders
    overlay=(-overlay "$OUT/overlay/$name/overlay.json")
    log "$name: placeholder UI files (not in the module) via -overlay in ${bdir#"$ROOT"/}: $placeholders"
  fi
  for b in $bins; do
    local bin="${b%%=*}" pkg="${b#*=}" out="$BIN/${b%%=*}-v$version"
    local what="$pkg@$modver"; [ "$pkg" != . ] || what="our main package ${wdir#"$ROOT"/} over $module@$modver"
    log "$name: building $what -> ${out#"$ROOT"/} (tags: ${tags:-none}, timeout ${BUILD_TIMEOUT}s)"
    local start=$SECONDS tmp="$out.tmp.$$"
    if ! (cd "$bdir" && /usr/bin/time -v -o "$LOGS/$name.$bin.time" timeout "$BUILD_TIMEOUT" \
          "$GO" build -trimpath "${overlay[@]}" ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg") >>"$LOGS/$name.log" 2>&1; then
      rm -f "$tmp"; tail -n 20 "$LOGS/$name.log" >&2
      die "$name: go build of $pkg failed (log: ${LOGS#"$ROOT"/}/$name.log)"
    fi
    mv -f "$tmp" "$out"
    jq -n --arg b "${out#"$ROOT"/}" --arg m "$module@$modver" --arg v "$version" \
      '{binary: $b, "module": $m, version: $v}' >"$OUT/meta/${out##*/}.json"
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

# What is not built, re-checked each run (informational, never fails the build): the module that
# holds upstream's cAdvisor main package is not on the proxy (the cadvisor target builds our own
# main instead), and Alloy requires Loki (AGPL). Only .info and
# .mod files are fetched; nothing of either is built.
report_refusals() {
  local err
  err="$(cd "$SERVICES" && timeout 60 "$GO" mod download -json github.com/google/cadvisor/cmd@v0.60.5 2>/dev/null | jq -r '.Error // empty')" || true
  log "not built: upstream's cAdvisor main (the module github.com/google/cadvisor/cmd@v0.60.5): ${err:-the proxy now serves it; see services/README.md}; the cadvisor target is our own main over the library modules"
  local mod; mod="$(curl -fsS --max-time 20 "$GOPROXY/github.com/grafana/alloy/@v/v1.19.2.mod" 2>/dev/null | grep -E '^\s*github.com/grafana/loki/v3 ' | xargs || true)"
  log "not built: Grafana Alloy v1.19.2 (its go.mod requires ${mod:-github.com/grafana/loki/v3, AGPL: see services/README.md}; AGPL, never built)"
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
  report_refusals
}
main "$@"
