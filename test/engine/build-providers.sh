#!/usr/bin/env bash
# Builds the four resource provider plugins the program needs (docker, random,
# command, tls) from test/engine/providers into .tools/engine/plugins-bin/ and writes
# .tools/engine/plugins.json (name, version the npm SDK requests, binary path).
# It does NOT install them: the engine build runs
#   pulumi plugin install resource <name> <version> --file <binary>
# from that manifest.
#
# usage: test/engine/build-providers.sh [--force] [--test] [--prepare-only]
#   --force         rebuild even if the stamp is unchanged
#   --test          also run `go vet` and `go test` of the providers module
#   --prepare-only  only lay out the shimmed upstream modules (for go test / gopls)
#
# Why the upstream modules are copied: the Terraform providers keep their
# provider constructors in internal/ packages, which only code inside their own
# module may import. `go build -overlay` cannot add our shim there (the go
# command refuses overlays of files beneath GOMODCACHE), so this script copies
# each module, exactly as the Go module proxy served it (its h1: hash is checked
# first), into the gitignored .tools/engine/modsrc/<name>/ and adds one file,
# pulumishim/shim.go, taken from providers/_shim/<name>/shim.go. providers/go.mod
# replaces the module paths with those directories. Nothing of the upstream
# modules is committed.
# The same is done, for another reason, to the terraform bridge's fork of
# terraform-plugin-sdk/v2: it predates terraform-plugin-go v0.31.0 (required by
# the providers) and lacks one RPC method; _shim/terraform-plugin-sdk/ adds it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SRC="$HERE/providers"
OUT="$ROOT/.tools/engine"
BIN="$OUT/plugins-bin"
MODSRC="$OUT/modsrc"
STAMP="$OUT/plugins.stamp"
MANIFEST="$OUT/plugins.json"
BUILD_TIMEOUT="${PROVIDERS_BUILD_TIMEOUT:-3600}"   # seconds, per go invocation

FORCE=0 TEST=0 PREPARE_ONLY=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --test) TEST=1 ;;
    --prepare-only) PREPARE_ONLY=1 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

# name | module path as the proxy serves it | version | expected h1: of the zip |
# file added from providers/_shim/<name>/ (its path inside the module)
UPSTREAM=(
  "docker|github.com/kreuzwerker/terraform-provider-docker|v0.0.0-20260916201441-96d331c98ff4|h1:T3HvvZCRd4h2qkMl+SXA2zza26Rdz8xqV81skikQWy4=|pulumishim/shim.go"
  "random|github.com/hashicorp/terraform-provider-random|v1.3.2-0.20260824155315-e1092b0cfc07|h1:V1tOWAm330qdxTYKjAigeSNxijPKNEJcXA7ltpMezGA=|pulumishim/shim.go"
  "tls|github.com/hashicorp/terraform-provider-tls|v1.2.1-0.20260819085117-d044ca7c6f52|h1:OkrSFu8qDejgePpM9ikmq324Qh559Go7JfLEWP0a+mQ=|pulumishim/shim.go"
  "terraform-plugin-sdk|github.com/pulumi/terraform-plugin-sdk/v2|v2.0.0-20250923233607-7f1981c8674a|h1:bTwou+tt2fyfuuCp9+VQOlgEJk/xKEaYeoX2HCtp2es=|helper/schema/pulumishim_generate_resource_config.go"
)
# plugin name | version the npm SDK asks the engine for
PLUGINS=(
  "docker|5.2.0"     # @pulumi/docker 5.2.0: package.json pulumi.version
  "random|4.21.2"    # @pulumi/random 4.21.2: package.json pulumi.version
  "command|4.5.0"    # @pulumi/command "v4.5.0": utilities.getVersion strips the v
  "tls|5.6.1"        # @pulumi/tls 5.6.1: package.json pulumi.version
)
# Build tags: no_compose leaves out kreuzwerker's docker_compose resource
# (docker/compose/v2 and its dependency tree), which the program does not use.
TAGS="no_compose"

T0=$(date +%s)
say() { printf '[build-providers +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
command -v go >/dev/null || { echo "go is not on PATH" >&2; exit 1; }
mkdir -p "$BIN" "$MODSRC"

# --- 1. the shimmed upstream modules -------------------------------------
prepare() {
  local name="$1" path="$2" version="$3" want="$4" add="$5"
  local json dir sum dest="$MODSRC/$name" mark
  json="$(cd /tmp && timeout 600 go mod download -json "$path@$version")"
  dir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  sum="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p')"
  if [ "$sum" != "$want" ] || [ ! -d "$dir" ]; then
    echo "module $path@$version: got sum '$sum' dir '$dir', want $want" >&2
    exit 1
  fi
  mark="$dest/.pulumishim-source"
  if [ ! -f "$mark" ] || [ "$(cat "$mark")" != "$path@$version $sum" ]; then
    say "copying $path@$version into .tools/engine/modsrc/$name"
    rm -rf "$dest"
    cp -R "$dir" "$dest"
    chmod -R u+w "$dest"
    printf '%s\n' "$path@$version $sum" > "$mark"
  fi
  mkdir -p "$(dirname "$dest/$add")"
  cmp -s "$SRC/_shim/$name/$(basename "$add")" "$dest/$add" ||
    cp "$SRC/_shim/$name/$(basename "$add")" "$dest/$add"
}
for u in "${UPSTREAM[@]}"; do
  IFS='|' read -r name path version want add <<<"$u"
  prepare "$name" "$path" "$version" "$want" "$add"
done
[ "$PREPARE_ONLY" = 1 ] && { say "prepared $MODSRC"; exit 0; }

# --- 2. stamp: go.mod, go.sum, our sources, shims, this script, go version ---
stamp="$( {
  go version
  echo "tags=$TAGS"
  sha256sum "$0"
  cd "$SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -not -path './.*' | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -d' ' -f1)"

write_manifest() {
  local first=1
  {
    echo "["
    for p in "${PLUGINS[@]}"; do
      IFS='|' read -r name version <<<"$p"
      [ "$first" = 1 ] || echo ","
      first=0
      printf '  {"name": "%s", "version": "%s", "kind": "resource", "file": "%s"}' \
        "$name" "$version" "$BIN/pulumi-resource-$name"
    done
    echo
    echo "]"
  } > "$MANIFEST.tmp"
  mv "$MANIFEST.tmp" "$MANIFEST"
}

all_built() {
  for p in "${PLUGINS[@]}"; do
    IFS='|' read -r name _ <<<"$p"
    [ -x "$BIN/pulumi-resource-$name" ] || return 1
  done
}

if [ "$FORCE" = 0 ] && [ "$TEST" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$stamp" ] && all_built; then
  write_manifest
  say "up to date (stamp $stamp); manifest $MANIFEST"
  cat "$MANIFEST"
  exit 0
fi

cd "$SRC"
export GOFLAGS="${GOFLAGS:-} -tags=$TAGS"
if [ "$TEST" = 1 ]; then
  say "go vet ./..."
  timeout "$BUILD_TIMEOUT" go vet ./...
  say "go test ./..."
  timeout "$BUILD_TIMEOUT" go test -count=1 ./...
fi

# --- 3. build -----------------------------------------------------------------
for p in command random tls docker; do
  t=$(date +%s)
  say "building pulumi-resource-$p ..."
  timeout "$BUILD_TIMEOUT" go build -trimpath -ldflags="-s -w" -o "$BIN/pulumi-resource-$p.tmp" "./cmd/pulumi-resource-$p"
  mv "$BIN/pulumi-resource-$p.tmp" "$BIN/pulumi-resource-$p"
  say "built pulumi-resource-$p in $(( $(date +%s) - t ))s"
done

# The plugins must report the versions the SDKs request.
for p in "${PLUGINS[@]}"; do
  IFS='|' read -r name version <<<"$p"
  got="$("$BIN/pulumi-resource-$name" -version)"
  [ "$got" = "$version" ] || { echo "pulumi-resource-$name reports version '$got', want $version" >&2; exit 1; }
done

printf '%s\n' "$stamp" > "$STAMP"
write_manifest
say "done; manifest $MANIFEST"
cat "$MANIFEST"
