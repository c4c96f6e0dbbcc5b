"use strict";
// `grafana cli` TEST DOUBLE (not Grafana): only `admin reset-admin-password`, the one command the
// stack runs (components/verify/admin.ts), as Grafana 13 behaves (grafana/grafana main,
// pkg/cmd/grafana-cli/commands/{commands.go,cli.go,reset_password_command.go}, pkg/cmd/grafana/main.go,
// pkg/cmd/grafana-cli/logger/loggerV2.go):
//   grafana cli [--homepath P] [--config C] [--configOverrides S] [--debug] admin reset-admin-password
//       [--password-from-stdin] [--user-id N] [<new password>]
// - urfave/cli flag parsing: flags before the first positional argument (a later "--flag" is an
//   argument), `--f v`, `--f=v`, `-f`; an undefined flag is an error.
// - --password-from-stdin prints "New Password: " and reads one line (bufio.Scanner: the first
//   line, without its "\n" or "\r\n"); no line at all: "can't read password from stdin".
//   Otherwise the password is the first argument ("" when absent).
// - a password shorter than 4 characters: "new password is too short" (user.Password.IsWeak);
//   --user-id (default 1) that is not a user: "could not read user from database. Error: user not
//   found"; a user that is not an admin: ErrMustBeAdmin.
// - every line goes to STDOUT (the CLI logger and main use fmt.Printf), errors as
//   "Error: ✗ <error>" with exit status 1; success prints "Admin password changed successfully ✔".
// - the brute-force login attempts are not touched (the CLI only changes the password).
const fs = require("node:fs");
const { readAdmin, writeAdmin } = require("./server.js");

const GLOBAL_STRING = new Set(["config", "homepath", "configOverrides", "pluginsDir", "repo", "pluginUrl"]);
const GLOBAL_BOOL = new Set(["debug", "d", "insecure", "version", "v", "help", "h"]);
const RESET_STRING = new Set(["user-id"]);
const RESET_BOOL = new Set(["password-from-stdin", "help", "h"]);

class CliError extends Error {}

/** urfave/cli-style parsing of one command level: flags until the first positional. */
function parseLevel(args, strings, bools) {
  const flags = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (bools.has(name)) {
      flags[name] = eq >= 0 ? /^(1|t|true)$/i.test(body.slice(eq + 1)) : true;
    } else if (strings.has(name)) {
      if (eq >= 0) flags[name] = body.slice(eq + 1);
      else if (i + 1 < args.length) flags[name] = args[++i];
      else throw new CliError(`flag needs an argument: -${name}`);
    } else {
      throw new CliError(`flag provided but not defined: -${name}`);
    }
  }
  return { flags, rest: args.slice(i) };
}

function out(text) {
  process.stdout.write(text);
}

function fail(err) {
  out(`Error: ✗ ${err.message || err}\n`);
  process.exitCode = 1;
}

/** Read the first line of stdin as bufio.Scanner does; undefined when there is no line at all. */
function firstStdinLine() {
  let text = "";
  try {
    text = fs.readFileSync(0, "utf8");
  } catch {
    text = "";
  }
  if (text === "") return undefined;
  const nl = text.indexOf("\n");
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.replace(/\r$/, "");
}

function main(argv) {
  let args = argv;
  if (args[0] === "cli") args = args.slice(1);
  try {
    const g = parseLevel(args, GLOBAL_STRING, GLOBAL_BOOL);
    if (g.rest[0] !== "admin" || g.rest[1] !== "reset-admin-password") {
      throw new CliError(`the Grafana double implements only "cli admin reset-admin-password" (got: ${g.rest.join(" ") || "nothing"})`);
    }
    const r = parseLevel(g.rest.slice(2), RESET_STRING, RESET_BOOL);
    const userId = r.flags["user-id"] === undefined ? 1 : Number.parseInt(r.flags["user-id"], 10);
    if (r.flags["user-id"] !== undefined && !Number.isFinite(userId)) throw new CliError(`invalid value ${JSON.stringify(r.flags["user-id"])} for flag -user-id: parse error`);
    let password;
    if (r.flags["password-from-stdin"]) {
      out("New Password: \n\n");
      password = firstStdinLine();
      if (password === undefined) throw new CliError("can't read password from stdin");
    } else {
      password = r.rest[0] === undefined ? "" : r.rest[0];
    }
    if (password.length < 4) throw new CliError("new password is too short");
    const dataDir = process.env.GF_PATHS_DATA || "/var/lib/grafana";
    const admin = readAdmin(dataDir);
    if (!admin || admin.id !== userId) throw new CliError("could not read user from database. Error: user not found");
    if (!admin.isAdmin) throw new CliError("reset-admin-password can only be used to reset an admin user account");
    writeAdmin(dataDir, admin.login, password);
    out("\n\n\n");
    out("Admin password changed successfully ✔\n\n");
    out("\n\n\n\n");
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    fail(e);
  }
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { main, parseLevel };
