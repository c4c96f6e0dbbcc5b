// `npm run -s bootstrap -- --help` (also `npx logging-bootstrap --help`).
import { EXIT_CODES_HELP } from "../exit-codes";

export const HELP = `Usage: npm run -s bootstrap -- --mode <mode> [--stack <name>] [options]
       npx logging-bootstrap <mode> [--stack <name>] [options]

Every mode drives Pulumi through its Automation API (LocalWorkspace on this project): typed results,
the engine's events as live progress (one line as each resource starts and ends, proofs by level,
a heartbeat on long waits), nothing read from the CLI's wording. Without --stack the stack selected
in the workspace (\`pulumi stack select\`) is used. Defaults when nothing else is set: the Pulumi CLI
on PATH, else .tools/engine (npm run -s engine:build), else PulumiCommand.install where online; the
backend PULUMI_BACKEND_URL, else \`pulumi login\`, else .pulumi-state/ in the project with a generated
passphrase file (.pulumi-state/passphrase, 0600).

Modes (preview and up run the policy pack \`policy\`, compiled first with npm run policy:build, with
policy/config/<stack>.json when it exists):
  diagnose  read-only: config:lint, policy:check, preview; with offlineMode also E_DEPS_IMAGE_MISSING_OFFLINE
            for each absent image. An operation that would change anything is E_ENV_MODE_VIOLATION.
  apply     state checkpoint (out/checkpoints/<stack>/<run>.json, 0600: the export holds secrets in plain
            text), then, when a pinned image changes, the previous pins to upgrade.json and a snapshot of
            each stateful service's data volume whose image changes; then up, then verify; with
            --verify-idempotency a second up with expectNoChanges (a change is E_PROOF_IDEMPOTENCY).
  repair    checkpoint, then up on the named resources only (--target <urn>; a container is rebuilt
            with target+replace, its data volume kept; what depends on it re-proved), then verify.
  drift     preview-only refresh with expectNoChanges (state is not written): changes found are
            E_PROOF_DRIFT naming the resources; any other failure is named by its own cause.
  rollback  undo an upgrade (--run <apply run>; default the newest not yet rolled back): snapshot sha256s
            checked first (E_DEPS_SNAPSHOT_MISMATCH refuses), previous pins back into the stack file,
            volumes restored; then checkpoint, up, verify. Record: rollback.json.
  destroy   checkpoint, then destroy with protected resources left in place. Data volumes (retained on
            delete) and host data are KEPT, and listed. --delete-data --confirm <stack> also deletes the
            data volumes (and the files of volumes bound under paths.dataRoot); refused on a stack that
            protects them (prod: E_ENV_DATA_PROTECTED, with the command that lifts the protection).
  backup    archive every data volume (each service stopped for its copy, started again) into
            out/runs/<run>/backups/ (0600, sha256 in backup.json). Listed by \`npm run -s recall -- list --mode backup\`.
  restore   --run <backup run> (default: the newest backup): sha256s checked first, each volume restored
            with its service stopped and started again, then verify. Record: restore.json.
apply, repair, drift, rollback, destroy, backup and restore hold out/.bootstrap.lock; a second run fails
with "Another bootstrap run is active (PID N)" (E_ENV_LOCK_HELD); a dead PID's lock is recovered.
Every run writes out/runs/<run_id>/ (events.jsonl, engine-events.jsonl and logs/progress.log as they
happen; meta, desired_state, provenance, resources, preflight/verify reports, autoheal, summary at the
end) and one line in out/runs.jsonl. LOGGING_BOOTSTRAP_OUT_DIR moves out/.

Options:
  --stack <name>        the stack (default: the selected one)
  --target <urn>        repair only, repeatable
  --host <name>         drift and repair: only that host's resources (a host of the stack file's hosts;
                        repeatable): drift refreshes them alone (another host that cannot be reached
                        does not matter), repair rebuilds that host's containers and re-proves it
  --run <id>            rollback: the apply run whose upgrade to undo; restore: the backup run
  --config-file <file>  the stack's config file when it is not Pulumi.<stack>.yaml (every operation gets it
                        as configFile; config:lint, policy:check and verify read it too)
  --policy-config <f>   the policy pack's config (default: policy/config/<stack>.json when it exists)
  --verify-idempotency  apply/repair: a second up that must change nothing
  --delete-data         destroy: delete the data volumes too (needs --confirm <stack>)
  --confirm <stack>     the stack's name typed back, confirming --delete-data
  --json                print summary.json on stdout instead of the text summary

${EXIT_CODES_HELP}`;
