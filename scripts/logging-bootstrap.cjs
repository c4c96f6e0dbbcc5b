#!/usr/bin/env node
// package.json "bin": `npx logging-bootstrap <mode> [options]` in this project.
//   logging-bootstrap start [--stack S]          npm start (diagnose, apply, verify, access)
//   logging-bootstrap password [--stack S]       Grafana's admin password
//   logging-bootstrap <mode> [options]           the run wrapper: --mode <mode> (see --help)
// The TypeScript sources run through tsx's require hook, in this process (the run lock's PID is
// this process's). Exit codes: scripts/lib/exit-codes.ts, the same for every command.
"use strict";
const path = require("node:path");
require("tsx/cjs/api").register();

const args = process.argv.slice(2);
const verb = args[0] && !args[0].startsWith("-") ? args[0] : undefined;
const rest = verb ? args.slice(1) : args;
// The project is this package; relative paths in options stay relative to where it was called.
process.env.LOGGING_BOOTSTRAP_ROOT ||= path.resolve(__dirname, "..");
const { runCli } = require("./lib/cli.ts");
if (verb === "start") runCli(() => require("./start.ts").main(rest));
else if (verb === "password") runCli(() => require("./password.ts").main(rest));
else runCli(() => require("./bootstrap.ts").main(verb ? ["--mode", verb, ...rest] : rest), { json: () => rest.includes("--json") });
