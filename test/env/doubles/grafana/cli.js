"use strict";
// `grafana cli` TEST DOUBLE (not Grafana): only `admin reset-admin-password`, the one command the
// stack runs (components/verify/admin.ts). Shape as Grafana's CLI:
//   grafana cli [--homepath P] [--config C] admin reset-admin-password (--password-from-stdin | <password>)
// --password-from-stdin reads the first line of stdin (Grafana scans one line). A password shorter
// than 4 characters is refused as "new password is too short", exit 1. Success prints
// "Admin password changed successfully ✔" and rewrites the credential server.js checks.
const fs = require("node:fs");
const { parseFlags } = require("../lib/common.js");
const { readAdmin, writeAdmin } = require("./server.js");

function fail(msg) {
  process.stderr.write(`Error: ✗ ${msg}\n`);
  process.exit(1);
}

function main(argv) {
  const args = argv[0] === "cli" ? argv.slice(1) : argv;
  // Global flags (--homepath, --config) are accepted as Grafana's are; the data dir comes from GF_PATHS_DATA.
  const { positionals } = parseFlags(args.filter((a) => a !== "--password-from-stdin"));
  const fromStdin = args.includes("--password-from-stdin");
  if (positionals[0] !== "admin" || positionals[1] !== "reset-admin-password") {
    fail(`this double implements only "cli admin reset-admin-password" (got: ${positionals.join(" ")})`);
  }
  let password;
  if (fromStdin) {
    const text = fs.readFileSync(0, "utf8");
    password = text.split(/\r?\n/)[0];
  } else {
    password = positionals[2];
  }
  if (password === undefined || password.length < 4) fail("new password is too short");
  const dataDir = process.env.GF_PATHS_DATA || "/var/lib/grafana";
  const admin = readAdmin(dataDir);
  if (!admin) fail(`no admin user in ${dataDir} (has the server started once?)`);
  writeAdmin(dataDir, admin.login, password);
  process.stdout.write("\nAdmin password changed successfully ✔\n");
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { main };
