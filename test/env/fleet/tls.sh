#!/usr/bin/env bash
# TLS for a fleet host's Docker engine on tcp:// (test only): a CA of its own, the engine's server
# certificate for the host's address, and one client certificate, all made with openssl.
#   tls.sh <dir> <address>
# Writes, in <dir> (mode 0700): ca.pem, ca-key.pem, server-cert.pem, server-key.pem (dockerd's
# --tlscacert/--tlscert/--tlskey) and cert.pem, key.pem (the client's: the stack's
# hosts[].docker.tls.certPem/keyPem, with ca.pem as caPem). Keys are 0600. Kept while the server
# certificate names <address> and stays valid for another day; otherwise everything is made anew.
# Prints <dir>. No key is ever printed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

[ $# -eq 2 ] || die "usage: tls.sh <dir> <address>"
DIR="$1" ADDR="$2"
[[ "$ADDR" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "tls.sh: <address> must be an IPv4 address, got '$ADDR'"
command -v openssl >/dev/null || die "tls.sh: openssl is not installed (apt-get install -y openssl)"
DAYS=30

# Whether the set in $DIR is complete, chains to its CA, names $ADDR and is valid for another day.
usable() {
  local f
  for f in ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem; do [ -s "$DIR/$f" ] || return 1; done
  openssl verify -CAfile "$DIR/ca.pem" "$DIR/server-cert.pem" "$DIR/cert.pem" >/dev/null 2>&1 || return 1
  openssl x509 -in "$DIR/server-cert.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  openssl x509 -in "$DIR/cert.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  openssl x509 -in "$DIR/server-cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$ADDR\$" || return 1
}

if usable; then printf '%s\n' "$DIR"; exit 0; fi

mkdir -p "$DIR"
chmod 0700 "$DIR"
WORK="$(mktemp -d "$DIR/.make.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
(
  umask 077
  cd "$WORK"
  key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
  key ca-key.pem
  openssl req -x509 -new -key ca-key.pem -sha256 -days "$DAYS" -subj "/O=logging-testenv/CN=fleet engine CA $ADDR" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2>/dev/null
  key server-key.pem
  openssl req -new -key server-key.pem -subj "/O=logging-testenv/CN=$ADDR" -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' "$ADDR" >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$DAYS" -sha256 -extfile server.ext -out server-cert.pem 2>/dev/null
  key key.pem
  openssl req -new -key key.pem -subj "/O=logging-testenv/CN=logging-testenv client" -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$DAYS" -sha256 -extfile client.ext -out cert.pem 2>/dev/null
)
for f in ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem; do mv -f "$WORK/$f" "$DIR/$f"; done
chmod 0600 "$DIR"/*-key.pem "$DIR/key.pem"
chmod 0644 "$DIR/ca.pem" "$DIR/server-cert.pem" "$DIR/cert.pem"
usable || die "tls.sh: the certificates made in $DIR do not verify (openssl verify -CAfile ca.pem server-cert.pem cert.pem)"
log "fleet: TLS for the engine on $ADDR made in $DIR (CA, server certificate with IP SAN $ADDR, client certificate; $DAYS days)"
printf '%s\n' "$DIR"
