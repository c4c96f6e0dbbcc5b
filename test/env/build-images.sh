#!/usr/bin/env bash
# Builds the test environment's images offline and pushes them to the local registry, so pulls and
# RepoDigests are real:
#   doubles: 127.0.0.1:5000/doubles/{grafana,loki,alloy,cadvisor}:<upstream tag they imitate>
#            (the host's node + busybox + test/env/doubles/*.js; see test/env/doubles/README.md),
#            at the stack's current pins and at the 2024 pins (DOUBLE_TAGS below)
#   probe:   127.0.0.1:5000/testenv/busybox:1.35            (busybox only, for short-lived probes)
#   real:    upstream builds, only when test/engine/build-services.sh has put their binaries in
#   .tools/services/bin (skipped, with a log line, when not), shaped like upstream's images
#   (busybox base, same paths, users, ENTRYPOINT/CMD; see test/engine/services/README.md):
#            127.0.0.1:5000/testenv/prometheus:v3.14.0       (+ promtool)
#            127.0.0.1:5000/testenv/prometheus:v2.55.1       (+ promtool, console templates)
#            127.0.0.1:5000/testenv/alertmanager:v0.35.0     (+ amtool)
#            127.0.0.1:5000/testenv/alertmanager:v0.27.0     (+ amtool; the 2024 pins)
#            127.0.0.1:5000/testenv/node-exporter:v1.12.1
#            127.0.0.1:5000/testenv/node-exporter:v1.8.1     (the 2024 pins)
#            127.0.0.1:5000/testenv/cadvisor:v0.60.5         (our main over cAdvisor's library modules)
#            127.0.0.1:5000/testenv/caddy:v2.11.9            (the fleet's authenticating TLS gateway)
# Cached: an image is rebuilt only when the sha256 of its inputs (binaries, double sources, this
# script) changes; the hash is the image label logging-testenv.inputs. A cached image whose
# registry digest still equals its local RepoDigest is left alone, so digests stay stable.
# Usage: build-images.sh            every image
#        build-images.sh upstream   only the images of binaries from test/engine/build-services.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD="$TESTENV_TMP/build"
SELF="$TESTENV_ROOT/test/env/build-images.sh"
DOUBLES_SRC="$TESTENV_ROOT/test/env/doubles"
mkdir -p "$BUILD"
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Image refs (the testenv stack config points at these; keep in sync with Pulumi.testenv.yaml).
IMG_BUSYBOX="$TESTENV_REGISTRY/testenv/busybox:1.35"
# The doubles' images (double_ref: 127.0.0.1:5000/doubles/<name>:<tag>): the stack's current pins
# (Pulumi.testenv.yaml) and the 2024 pins (test/fixtures/config/Pulumi.pins-2024.yaml; test:variants
# pins-2024). Every tag is its own image whose DOUBLE_VERSION is the tag's version: the double
# imitates that version where versions differ (test/env/doubles/README.md).
DOUBLE_TAGS=(
  "grafana 13.2.0" "loki 3.7.8" "alloy v1.19.2" "cadvisor v0.60.5"
  "grafana 11.1.0" "loki 3.0.0" "alloy v1.2.1" "cadvisor v0.49.1"
)
# Not a double of an upstream service: the test environment's own alert receiver (L9's sink).
IMG_ALERT_SINK="$TESTENV_REGISTRY/testenv/alert-sink:1"

# Upstream binaries built from their Go modules by test/engine/build-services.sh.
SERVICES_OUT="${SERVICES_OUT:-$TESTENV_ROOT/.tools/services}"
IMG_PROMETHEUS_V3="$TESTENV_REGISTRY/testenv/prometheus:v3.14.0"
IMG_PROMETHEUS_V2="$TESTENV_REGISTRY/testenv/prometheus:v2.55.1"
IMG_ALERTMANAGER="$TESTENV_REGISTRY/testenv/alertmanager:v0.35.0"
IMG_NODE_EXPORTER_UPSTREAM="$TESTENV_REGISTRY/testenv/node-exporter:v1.12.1"
# The 2024 pins' versions (test:variants pins-2024), from their own build-services.sh targets.
IMG_ALERTMANAGER_2024="$TESTENV_REGISTRY/testenv/alertmanager:v0.27.0"
IMG_NODE_EXPORTER_2024="$TESTENV_REGISTRY/testenv/node-exporter:v1.8.1"
IMG_CADVISOR_UPSTREAM="$TESTENV_REGISTRY/testenv/cadvisor:v0.60.5"
IMG_CADDY="$TESTENV_REGISTRY/testenv/caddy:v2.11.9"

hash_inputs() { cat "$@" | sha256sum | cut -c1-64; }

# Copy a dynamically linked binary's libraries (from ldd) into a rootfs, at the same paths.
copy_libs() {
  local root="$1" bin="$2" lib
  for lib in $(ldd "$bin" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# Base rootfs: busybox + every applet as a symlink (sh, wget, sha256sum, cat, ...), /etc/passwd with
# the users the upstream images run as, a world-writable /tmp.
base_rootfs() {
  local root="$1" applet
  rm -rf "$root"; mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
grafana:x:472:0:grafana:/usr/share/grafana:/bin/false
alloy:x:473:473:alloy:/var/lib/alloy:/bin/false
loki:x:10001:10001:loki:/loki:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
alloy:x:473:
loki:x:10001:
nobody:x:65534:
EOF
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# Deterministic tar (sorted, mtime 0, numeric owners) so identical inputs give identical layers.
pack() { tar --sort=name --mtime=@0 --numeric-owner -C "$1" -cf "$2" .; }

image_label() { docker image inspect --format '{{index .Config.Labels "logging-testenv.inputs"}}' "$1" 2>/dev/null || true; }

# The digest the registry serves for repo:tag (HEAD on the manifest, Docker-Content-Digest header).
registry_digest() {
  local ref="$1" repo tag
  repo="${ref#"$TESTENV_REGISTRY"/}"; tag="${repo##*:}"; repo="${repo%:*}"
  curl -fsSI --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$TESTENV_REGISTRY/v2/$repo/manifests/$tag" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

local_matches() { # the local tag has our input hash and is the content the registry serves
  local ref="$1" hash="$2" digest
  [ "$(image_label "$ref")" = "$hash" ] || return 1
  digest="$(registry_digest "$ref")"
  [ -n "$digest" ] || return 1
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" | grep -qx "${ref%:*}@$digest"
}

# Cached when the local tag matches; when it does not (e.g. the provenance fault re-tagged it to
# other content) but the registry still serves our build, pull it back instead of rebuilding, so
# the digest stays the one the registry has always served.
is_cached() {
  local ref="$1" hash="$2"
  local_matches "$ref" "$hash" && return 0
  [ -n "$(registry_digest "$ref")" ] || return 1
  timeout 120 docker pull -q "$ref" >/dev/null 2>&1 || return 1
  local_matches "$ref" "$hash"
}

# import_push <ref> <tar> <hash> <change...>: docker import with Dockerfile-style changes, then push.
import_push() {
  local ref="$1" tarball="$2" hash="$3"; shift 3
  local args=() c
  for c in "$@" "LABEL logging-testenv.inputs=$hash" "ENV $PATH_ENV"; do args+=(-c "$c"); done
  timeout 300 docker import "${args[@]}" "$tarball" "$ref" >/dev/null
  timeout 300 docker push "$ref" >/dev/null
  log "built and pushed $ref ($(registry_digest "$ref"))"
}

build_busybox() {
  local hash; hash="$(hash_inputs /bin/busybox "$SELF")"
  if is_cached "$IMG_BUSYBOX" "$hash"; then log "cached $IMG_BUSYBOX"; return 0; fi
  local root="$BUILD/busybox"
  base_rootfs "$root"
  pack "$root" "$BUILD/busybox.tar"
  import_push "$IMG_BUSYBOX" "$BUILD/busybox.tar" "$hash" 'CMD ["sh"]' \
    "LABEL org.opencontainers.image.title=testenv-busybox logging-testenv.kind=probe"
}

double_ref() { printf '%s\n' "$TESTENV_REGISTRY/doubles/$1:$2"; }  # <name> <tag>

# push_double <name> <tag> <tar> <hash>: the shared doubles layer as that double at that tag, with
# the user, entrypoint and environment of the upstream image, and DOUBLE_VERSION=<tag>.
push_double() {
  local name="$1" version="$2" tarball="$3" hash="$4" ref; ref="$(double_ref "$1" "$2")"
  local kind="LABEL logging-testenv.kind=double" title="LABEL org.opencontainers.image.title=$name-double org.opencontainers.image.version=$version"
  case "$name" in
    grafana) import_push "$ref" "$tarball" "$hash" "$kind" "$title" \
      "USER 472" "WORKDIR /usr/share/grafana" "EXPOSE 3000" 'ENTRYPOINT ["/run.sh"]' \
      "ENV GF_PATHS_CONFIG=/etc/grafana/grafana.ini GF_PATHS_DATA=/var/lib/grafana GF_PATHS_HOME=/usr/share/grafana GF_PATHS_LOGS=/var/log/grafana GF_PATHS_PLUGINS=/var/lib/grafana/plugins GF_PATHS_PROVISIONING=/etc/grafana/provisioning DOUBLE_VERSION=$version" ;;
    loki) import_push "$ref" "$tarball" "$hash" "$kind" "$title" \
      "USER 10001" "EXPOSE 3100" 'ENTRYPOINT ["/usr/bin/loki"]' 'CMD ["-config.file=/etc/loki/local-config.yaml"]' \
      "ENV DOUBLE_VERSION=$version" ;;
    alloy) import_push "$ref" "$tarball" "$hash" "$kind" "$title" \
      "EXPOSE 12345" 'ENTRYPOINT ["/bin/alloy"]' 'CMD ["run", "/etc/alloy/config.alloy", "--storage.path=/var/lib/alloy/data"]' \
      "ENV DOUBLE_VERSION=$version" ;;
    cadvisor) import_push "$ref" "$tarball" "$hash" "$kind" "$title" \
      "EXPOSE 8080" 'ENTRYPOINT ["/usr/bin/cadvisor", "-logtostderr"]' \
      "ENV DOUBLE_VERSION=$version" ;;
    *) die "no double named $name" ;;
  esac
}

# npm modules the Loki and Grafana doubles load (YAML configs, Loki's snappy protobuf pushes), and
# protobufjs' own dependencies; their package.json files are part of the doubles' input hash.
DOUBLES_NPM_MODULES=(yaml snappyjs protobufjs @protobufjs long)
# The one Alloy parser, which the Alloy double loads compiled (test/env/doubles/lib/alloy-syntax.js).
ALLOY_SYNTAX="$TESTENV_ROOT/contracts/alloy/syntax.ts"
DOUBLES_NPM_PKGS=("$TESTENV_ROOT"/node_modules/{yaml,snappyjs,protobufjs,long}/package.json "$TESTENV_ROOT"/node_modules/@protobufjs/*/package.json)

# The four doubles share one rootfs (node + busybox + every double's source) so their single layer
# is stored and pushed once; each image differs only in entrypoint, user and env, like upstream.
build_doubles() {
  local node; node="$(command -v node)"
  local hash; hash="$(hash_inputs "$node" /bin/busybox /bin/bash "$DOUBLES_SRC"/*/*.js "$ALLOY_SYNTAX" "$TESTENV_ROOT/node_modules/re2js/package.json" "${DOUBLES_NPM_PKGS[@]}" "$SELF")"
  local all_cached=1 ref name version
  for ref in $(for t in "${DOUBLE_TAGS[@]}"; do double_ref $t; done) "$IMG_ALERT_SINK"; do
    is_cached "$ref" "$hash" || all_cached=0
  done
  if [ "$all_cached" = 1 ]; then log "cached doubles (grafana, loki, alloy, cadvisor at ${#DOUBLE_TAGS[@]} tags) and the alert sink"; return 0; fi
  local root="$BUILD/doubles"
  base_rootfs "$root"
  cp -L "$node" "$root/usr/local/bin/node"
  copy_libs "$root" "$node"
  # bash too: the program's Alloy healthcheck speaks HTTP through bash's /dev/tcp (the real
  # grafana/alloy image is Ubuntu-based, with bash but neither wget nor curl).
  rm -f "$root/bin/bash"; cp -L /bin/bash "$root/bin/bash"
  copy_libs "$root" /bin/bash
  mkdir -p "$root/doubles"
  cp -r "$DOUBLES_SRC"/lib "$DOUBLES_SRC"/grafana "$DOUBLES_SRC"/loki "$DOUBLES_SRC"/alloy "$DOUBLES_SRC"/cadvisor "$DOUBLES_SRC"/alert-sink "$root/doubles/"
  find "$root/doubles" -type f ! -name '*.js' -delete
  # The Alloy double parses with the product's Alloy parser: compiled to JavaScript in place of the
  # pointer file that loads the TypeScript source in the repository's tests.
  "$TESTENV_ROOT/node_modules/.bin/tsc" --ignoreConfig --outDir "$BUILD/alloy-syntax" --module commonjs --target es2022 \
    --strict --types node --rootDir "$(dirname "$ALLOY_SYNTAX")" "$ALLOY_SYNTAX"
  install -m 0644 "$BUILD/alloy-syntax/syntax.js" "$root/doubles/lib/alloy-syntax.js"
  # re2js (RE2's syntax and semantics, as Alloy's Go regexp): the Alloy double's stage.replace.
  mkdir -p "$root/doubles/node_modules"
  cp -r "$TESTENV_ROOT/node_modules/re2js" "$root/doubles/node_modules/re2js"
  local mod
  for mod in "${DOUBLES_NPM_MODULES[@]}"; do cp -r "$TESTENV_ROOT/node_modules/$mod" "$root/doubles/node_modules/"; done
  # Entrypoints at the upstream paths, so a program's `command` args work unchanged.
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/grafana/server.js "$@"\n' >"$root/run.sh"
  mkdir -p "$root/usr/share/grafana/bin"
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/grafana/cli.js "$@"\n' >"$root/usr/share/grafana/bin/grafana"
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/loki/server.js "$@"\n' >"$root/usr/bin/loki"
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/alloy/server.js "$@"\n' >"$root/bin/alloy"
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/cadvisor/server.js "$@"\n' >"$root/usr/bin/cadvisor"
  printf '#!/bin/sh\nexec /usr/local/bin/node /doubles/alert-sink/server.js "$@"\n' >"$root/usr/bin/alert-sink"
  chmod 0755 "$root/run.sh" "$root/usr/share/grafana/bin/grafana" "$root/usr/bin/loki" "$root/bin/alloy" "$root/usr/bin/cadvisor" "$root/usr/bin/alert-sink"
  # Data/config dirs with the owners the upstream images use (a new named volume copies them).
  mkdir -p "$root"/etc/grafana/provisioning/{dashboards,datasources} "$root"/var/lib/grafana/dashboards \
    "$root"/usr/share/grafana "$root"/etc/loki "$root"/loki "$root"/etc/alloy "$root"/var/lib/alloy/data
  chown -R 472:0 "$root/var/lib/grafana" "$root/usr/share/grafana"
  chown -R 10001:10001 "$root/loki"
  chown -R 473:473 "$root/var/lib/alloy"
  pack "$root" "$BUILD/doubles.tar"
  for t in "${DOUBLE_TAGS[@]}"; do
    read -r name version <<<"$t"
    push_double "$name" "$version" "$BUILD/doubles.tar" "$hash"
  done
  import_push "$IMG_ALERT_SINK" "$BUILD/doubles.tar" "$hash" "LABEL logging-testenv.kind=sink" \
    "USER 65534" "EXPOSE 8080" 'ENTRYPOINT ["/usr/bin/alert-sink"]' 'CMD ["--listen-address=0.0.0.0:8080"]' \
    "LABEL org.opencontainers.image.title=alert-sink"
}

# ---- Images of upstream binaries built from their Go modules (test/engine/build-services.sh) ----
# The binaries are static (CGO_ENABLED=0), so no libraries are copied. Each image also gets
# upstream's LICENSE/NOTICE at / (from .tools/services/share) when build-services.sh left them.

# have_bins <image ref> <binary...>: true when every .tools/services/bin/<binary> is there; logs the
# skip otherwise (build-images.sh must work before anyone has built them).
have_bins() {
  local ref="$1" b missing=""; shift
  for b in "$@"; do [ -x "$SERVICES_OUT/bin/$b" ] || missing="$missing $b"; done
  [ -z "$missing" ] && return 0
  log "skipped $ref: not built (missing in ${SERVICES_OUT#"$TESTENV_ROOT"/}/bin:$missing; see test/engine/build-services.sh)"
  return 1
}

# share_files <share dir>: upstream's LICENSE/NOTICE that build-services.sh left (for the input hash).
share_files() {
  local f
  for f in LICENSE NOTICE; do
    if [ -f "$SERVICES_OUT/share/$1/$f" ]; then printf '%s\n' "$SERVICES_OUT/share/$1/$f"; fi
  done
}

add_share() { # <root> <share dir>: those files at / in the image, as upstream's images have them
  local f
  for f in $(share_files "$2"); do install -m 0644 "$f" "$1/${f##*/}"; done
}

# A default config that scrapes Prometheus itself (upstream ships documentation/examples/prometheus.yml,
# which does the same plus commented-out alerting and rule_files stanzas).
write_prometheus_yml() {
  mkdir -p "$1/etc/prometheus"
  cat >"$1/etc/prometheus/prometheus.yml" <<'EOF'
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
        labels:
          app: prometheus
EOF
}

# What both Prometheus images share: busybox base, prometheus + promtool, the share files at /,
# the default prometheus.yml.
prometheus_rootfs() {
  local root="$1" prometheus="$2" promtool="$3" share="$4"
  base_rootfs "$root"
  install -m 0755 "$prometheus" "$root/bin/prometheus"
  install -m 0755 "$promtool" "$root/bin/promtool"
  add_share "$root" "$share"
  write_prometheus_yml "$root"
}

# Like prom/prometheus:v3.14.0 (upstream Dockerfile): /bin/prometheus + /bin/promtool on busybox,
# WORKDIR /prometheus, /etc/prometheus and /prometheus owned by nobody (/prometheus g+w), USER
# nobody, VOLUME /prometheus, ENTRYPOINT /bin/prometheus, CMD config + TSDB path. No web UI assets
# (not in the Go module): the API, /-/ready, /-/healthy and /metrics work; the UI pages do not.
build_prometheus_v3() {
  local ref="$IMG_PROMETHEUS_V3" v=v3.14.0 share=prometheus-v3-v3.14.0
  have_bins "$ref" "prometheus-$v" "promtool-$v" || return 0
  local bins=("$SERVICES_OUT/bin/prometheus-$v" "$SERVICES_OUT/bin/promtool-$v")
  local hash; hash="$(hash_inputs "${bins[@]}" $(share_files "$share") /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/prometheus-v3"
  prometheus_rootfs "$root" "${bins[@]}" "$share"
  mkdir -p "$root/prometheus"
  chown -R 65534:65534 "$root/etc/prometheus" "$root/prometheus"
  chmod g+w "$root/prometheus"
  pack "$root" "$BUILD/prometheus-v3.tar"
  import_push "$ref" "$BUILD/prometheus-v3.tar" "$hash" \
    "USER nobody" "WORKDIR /prometheus" "EXPOSE 9090" 'VOLUME ["/prometheus"]' \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' \
    "LABEL org.opencontainers.image.title=Prometheus org.opencontainers.image.version=3.14.0 io.prometheus.image.variant=busybox logging-testenv.kind=real logging-testenv.source=github.com/prometheus/prometheus@v0.314.0"
}

# Like prom/prometheus:v2.55.1: as above plus upstream's console templates in /usr/share/prometheus
# (linked from /etc/prometheus) and the two --web.console.* flags in CMD.
build_prometheus_v2() {
  local ref="$IMG_PROMETHEUS_V2" v=v2.55.1 share=prometheus-v2-v2.55.1
  have_bins "$ref" "prometheus-$v" "promtool-$v" || return 0
  local bins=("$SERVICES_OUT/bin/prometheus-$v" "$SERVICES_OUT/bin/promtool-$v")
  local sdir="$SERVICES_OUT/share/$share"
  local hash; hash="$(hash_inputs "${bins[@]}" $(share_files "$share") \
    $(find "$sdir/consoles" "$sdir/console_libraries" -type f 2>/dev/null | sort) /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/prometheus-v2" d
  prometheus_rootfs "$root" "${bins[@]}" "$share"
  for d in consoles console_libraries; do
    mkdir -p "$root/usr/share/prometheus/$d"
    if [ -d "$sdir/$d" ]; then cp -r "$sdir/$d/." "$root/usr/share/prometheus/$d/"; fi
    ln -s "/usr/share/prometheus/$d" "$root/etc/prometheus/$d"
  done
  chmod -R a+rX,go-w "$root/usr/share/prometheus"
  mkdir -p "$root/prometheus"
  chown -R 65534:65534 "$root/etc/prometheus" "$root/prometheus"
  pack "$root" "$BUILD/prometheus-v2.tar"
  import_push "$ref" "$BUILD/prometheus-v2.tar" "$hash" \
    "USER nobody" "WORKDIR /prometheus" "EXPOSE 9090" 'VOLUME ["/prometheus"]' \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles"]' \
    "LABEL org.opencontainers.image.title=Prometheus org.opencontainers.image.version=2.55.1 logging-testenv.kind=real logging-testenv.source=github.com/prometheus/prometheus@v0.55.1"
}

# build_alertmanager <ref> <version> <share dir> <g+w: yes|no>: like prom/alertmanager:v<version>:
# /bin/alertmanager + /bin/amtool, /etc/alertmanager and /alertmanager owned by nobody, USER
# nobody, WORKDIR + VOLUME /alertmanager; /alertmanager group-writable where upstream's Dockerfile
# makes it so (0.35.0: `chmod -R g+w`; 0.27.0: not). Upstream ships examples/ha/alertmanager.yml
# (a webhook receiver on 127.0.0.1:5001); ours routes everything to a receiver without
# integrations, which loads and serves the same API.
build_alertmanager() {
  local ref="$1" version="$2" share="$3" group_writable="$4" v="v$2"
  have_bins "$ref" "alertmanager-$v" "amtool-$v" || return 0
  local bins=("$SERVICES_OUT/bin/alertmanager-$v" "$SERVICES_OUT/bin/amtool-$v")
  local hash; hash="$(hash_inputs "${bins[@]}" $(share_files "$share") /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/alertmanager-$v"
  base_rootfs "$root"
  install -m 0755 "${bins[0]}" "$root/bin/alertmanager"
  install -m 0755 "${bins[1]}" "$root/bin/amtool"
  add_share "$root" "$share"
  mkdir -p "$root/etc/alertmanager" "$root/alertmanager"
  cat >"$root/etc/alertmanager/alertmanager.yml" <<'EOF'
route:
  group_by: ["alertname"]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  receiver: default
receivers:
  - name: default
EOF
  chown -R 65534:65534 "$root/etc/alertmanager" "$root/alertmanager"
  if [ "$group_writable" = yes ]; then chmod -R g+w "$root/alertmanager"; fi
  pack "$root" "$BUILD/alertmanager-$v.tar"
  import_push "$ref" "$BUILD/alertmanager-$v.tar" "$hash" \
    "USER nobody" "EXPOSE 9093" 'VOLUME ["/alertmanager"]' "WORKDIR /alertmanager" \
    'ENTRYPOINT ["/bin/alertmanager"]' \
    'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]' \
    "LABEL org.opencontainers.image.title=Alertmanager org.opencontainers.image.version=$version logging-testenv.kind=real logging-testenv.source=github.com/prometheus/alertmanager@$v"
}

# build_node_exporter_upstream <ref> <version> <share dir> [<label>...]: like
# prom/node-exporter:v<version>: /bin/node_exporter, USER nobody, EXPOSE 9100, no CMD; the labels
# upstream's Dockerfile adds besides ours (1.12.1: io.prometheus.image.variant=busybox; 1.8.1: none).
build_node_exporter_upstream() {
  local ref="$1" version="$2" share="$3" v="v$2"; shift 3
  local extra=("$@")
  have_bins "$ref" "node_exporter-$v" || return 0
  local bin="$SERVICES_OUT/bin/node_exporter-$v"
  local hash; hash="$(hash_inputs "$bin" $(share_files "$share") /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/node-exporter-$v"
  base_rootfs "$root"
  install -m 0755 "$bin" "$root/bin/node_exporter"
  add_share "$root" "$share"
  pack "$root" "$BUILD/node-exporter-$v.tar"
  import_push "$ref" "$BUILD/node-exporter-$v.tar" "$hash" \
    "EXPOSE 9100" "USER nobody" 'ENTRYPOINT ["/bin/node_exporter"]' \
    "LABEL org.opencontainers.image.title=node_exporter org.opencontainers.image.version=$version ${extra[*]} logging-testenv.kind=real logging-testenv.source=github.com/prometheus/node_exporter@$v"
}

# Like ghcr.io/google/cadvisor:v0.60.5: /usr/bin/cadvisor run as root with -logtostderr (upstream's
# ENTRYPOINT /usr/bin/entrypoint.sh is `exec /usr/bin/cadvisor -logtostderr "$@"`), EXPOSE 8080,
# and /usr/bin/healthcheck.sh doing what upstream's does (busybox wget --spider on /healthz at the
# -port given to PID 1; HEALTHCHECK itself cannot be set by docker import, the program sets its
# own). The binary is our own main over cAdvisor v0.60.5's library modules (upstream's main is in
# the module github.com/google/cadvisor/cmd, which the Go module proxy does not serve; see
# test/engine/services/README.md): the collection code is upstream's, the HTTP surface is ours.
# Upstream's image also carries device-mapper/zfs/thin-provisioning tools (disk usage on those
# storage drivers) and libpfm (perf events); this one does not.
build_cadvisor_upstream() {
  local ref="$IMG_CADVISOR_UPSTREAM" v=v0.60.5 share=cadvisor-v0.60.5
  have_bins "$ref" "cadvisor-$v" || return 0
  local bin="$SERVICES_OUT/bin/cadvisor-$v"
  local hash; hash="$(hash_inputs "$bin" $(share_files "$share") /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/cadvisor-upstream"
  base_rootfs "$root"
  install -m 0755 "$bin" "$root/usr/bin/cadvisor"
  add_share "$root" "$share"
  cat >"$root/usr/bin/healthcheck.sh" <<'EOF'
#!/bin/sh
# /healthz on the port PID 1 (cadvisor) was given with -port=N / --port=N; 8080 by default.
PORT=8080
for arg in $(tr '\0' ' ' </proc/1/cmdline 2>/dev/null); do
  case "$arg" in -port=*) PORT="${arg#-port=}" ;; --port=*) PORT="${arg#--port=}" ;; esac
done
wget --quiet --tries=1 --spider "http://localhost:${PORT}/healthz" || exit 1
EOF
  chmod 0755 "$root/usr/bin/healthcheck.sh"
  pack "$root" "$BUILD/cadvisor-upstream.tar"
  import_push "$ref" "$BUILD/cadvisor-upstream.tar" "$hash" \
    "EXPOSE 8080" 'ENTRYPOINT ["/usr/bin/cadvisor", "-logtostderr"]' \
    "LABEL org.opencontainers.image.title=cadvisor org.opencontainers.image.version=v0.60.5 logging-testenv.kind=real logging-testenv.source=github.com/google/cadvisor@v0.60.5 logging-testenv.main=test/engine/services/cadvisor"
}

# Like caddy:2.11.9-alpine (caddyserver/caddy-docker, 2.11/alpine/Dockerfile): /usr/bin/caddy run as
# root; /etc/caddy/Caddyfile serving /usr/share/caddy on :80 (upstream's is caddyserver/dist's
# config/Caddyfile, the same site with comments); /usr/share/caddy/index.html (ours: upstream's
# welcome page is not in the Go module); /config/caddy and /data/caddy mode 1777;
# XDG_CONFIG_HOME=/config, XDG_DATA_HOME=/data (Caddy keeps its autosave.json and certificates
# there); EXPOSE 80 443 443/udp 2019; WORKDIR /srv; no ENTRYPOINT and
# CMD caddy run --config /etc/caddy/Caddyfile --adapter caddyfile, as upstream. The CA bundle
# (upstream: apk ca-certificates) and /etc/mime.types (apk mailcap) come from this machine when it
# has them. Upstream's `setcap cap_net_bind_service` is not needed: the image runs as root.
build_caddy() {
  local ref="$IMG_CADDY" v=v2.11.9 share=caddy-v2.11.9
  have_bins "$ref" "caddy-$v" || return 0
  local bin="$SERVICES_OUT/bin/caddy-$v" extras=() f
  for f in /etc/ssl/certs/ca-certificates.crt /etc/mime.types; do
    if [ -f "$f" ]; then extras+=("$f"); fi
  done
  local hash; hash="$(hash_inputs "$bin" $(share_files "$share") "${extras[@]}" /bin/busybox "$SELF")"
  if is_cached "$ref" "$hash"; then log "cached $ref"; return 0; fi
  local root="$BUILD/caddy"
  base_rootfs "$root"
  install -m 0755 "$bin" "$root/usr/bin/caddy"
  add_share "$root" "$share"
  for f in "${extras[@]}"; do install -D -m 0644 "$f" "$root$f"; done
  mkdir -p "$root"/{config/caddy,data/caddy,etc/caddy,usr/share/caddy,srv}
  chmod 1777 "$root/config/caddy" "$root/data/caddy"
  cat >"$root/etc/caddy/Caddyfile" <<'EOF'
# The default site: the files in /usr/share/caddy on port 80. Replace this file (or mount one over
# it) to configure Caddy; see https://caddyserver.com/docs/caddyfile.
:80 {
	root * /usr/share/caddy
	file_server
}
EOF
  printf '<!doctype html><html><head><meta charset="utf-8"><title>Caddy works</title></head><body><p>Caddy %s serves this page from /usr/share/caddy; configure it in /etc/caddy/Caddyfile.</p></body></html>\n' "$v" \
    >"$root/usr/share/caddy/index.html"
  pack "$root" "$BUILD/caddy.tar"
  import_push "$ref" "$BUILD/caddy.tar" "$hash" \
    "ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data" "EXPOSE 80 443 443/udp 2019" "WORKDIR /srv" \
    'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]' \
    "LABEL org.opencontainers.image.title=Caddy org.opencontainers.image.version=v2.11.9 org.opencontainers.image.licenses=Apache-2.0 logging-testenv.kind=real logging-testenv.source=github.com/caddyserver/caddy/v2@v2.11.9"
}

build_upstream_images() {
  build_prometheus_v3
  build_prometheus_v2
  build_alertmanager "$IMG_ALERTMANAGER" 0.35.0 alertmanager-v0.35.0 yes
  build_alertmanager "$IMG_ALERTMANAGER_2024" 0.27.0 alertmanager-v0.27-v0.27.0 no
  build_node_exporter_upstream "$IMG_NODE_EXPORTER_UPSTREAM" 1.12.1 node-exporter-v1.12.1 io.prometheus.image.variant=busybox
  build_node_exporter_upstream "$IMG_NODE_EXPORTER_2024" 1.8.1 node-exporter-v1.8-v1.8.1
  build_cadvisor_upstream
  build_caddy
}

main() {
  engine_up || die "no Docker engine (run test/env/up.sh)"
  registry_up || die "no registry on $TESTENV_REGISTRY (run test/env/up.sh)"
  if [ "${1:-}" = upstream ]; then   # `build-images.sh upstream`: only the upstream-build images
    build_upstream_images; rm -rf "$BUILD"; return 0
  fi
  build_busybox
  build_doubles
  build_upstream_images
  rm -rf "$BUILD"
}
main "$@"
