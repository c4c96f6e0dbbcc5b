// `npm run -s bootstrap -- --help`.
export const HELP = `Usage: npm run -s bootstrap -- --mode <diagnose|apply|repair|drift|rollback> --stack <name>
                              [--target <urn>...] [--run <id>] [--config-file <file>] [--verify-idempotency] [--json]

Modes (every pulumi call: --non-interactive, stdin closed, no TTY, PULUMI_SKIP_UPDATE_CHECK=true;
--policy-pack policy is compiled first with npm run policy:build and gets
--policy-pack-config policy/config/<stack>.json when that file exists):
  diagnose  read-only: config:lint, policy:check, pulumi preview --policy-pack policy; with offlineMode
            also E_DEPS_IMAGE_MISSING_OFFLINE for each absent image. A mutating call is E_ENV_MODE_VIOLATION.
  apply     pulumi stack export to out/checkpoints/<stack>/<run>.json (mode 0600, secrets stay encrypted;
            restore with pulumi stack import --file <it> then pulumi up); when a pinned image changes, the
            previous pins go to the bundle's upgrade.json and the data volume of each stateful service
            whose image changes (Grafana, Loki, Prometheus, Alertmanager) is snapshotted first (service
            stopped, archived to backups/<volume>.tar.gz with its sha256, owner-only, started again;
            the stack's backups.keep newest upgrades keep theirs, older ones are deleted and named);
            then pulumi up --yes --policy-pack policy, then verify; with --verify-idempotency then
            pulumi up --expect-no-changes (a change is E_PROOF_IDEMPOTENCY).
  repair    checkpoint as apply, then pulumi up --yes --policy-pack policy --target-dependents on
            the named resources only (--target <urn>; a container is rebuilt from the rendered files with
            --target-replace, its data volume kept), then verify. Refused without --target.
  drift     pulumi refresh --preview-only --expect-no-changes (read-only: state is not written);
            changes found ("no changes were expected but changes ...") are drift, E_PROOF_DRIFT;
            any other failure of the refresh is E_RUNTIME_DEPLOY_FAILED.
  rollback  undo an upgrade (--run <id>: that apply run; default: the newest not yet rolled back):
            every snapshot's sha256 is checked first (a mismatch refuses: E_DEPS_SNAPSHOT_MISMATCH);
            the previous pins are written back into the stack file, each snapshotted service is
            stopped and its volume restored; then checkpoint, pulumi up, verify. Record: rollback.json.
apply, repair, drift and rollback hold out/.bootstrap.lock; a second run fails with
"Another bootstrap run is active (PID N)" (E_ENV_LOCK_HELD); a dead PID's lock is recovered with a warning.
Every run writes out/runs/<run_id>/ (meta, desired_state, provenance, preflight/verify reports, events.jsonl,
autoheal.suggestions.json, summary.json/.md) and one line in out/runs.jsonl. LOGGING_BOOTSTRAP_OUT_DIR moves out/.

Options:
  --run <id>            rollback only: the apply run (out/runs/<id>) whose upgrade to undo
  --config-file <file>  the stack's config file when it is not Pulumi.<stack>.yaml (passed to every
                        pulumi call as --config-file, and to config:lint, policy:check and verify)
  --json                print summary.json on stdout instead of the text summary

Exit codes: 0 green; 1 a step went red (lint, policy, preview, up, verify, drift, idempotency, offline images);
2 refused or environment (usage, E_ENV_MODE_VIOLATION, E_ENV_LOCK_HELD, E_ENV_TOOL_MISSING,
E_ENV_DOCKER_UNREACHABLE, E_ENV_ROLLBACK_UNAVAILABLE, E_DEPS_SNAPSHOT_MISMATCH); 129 SIGHUP, 130 SIGINT, 143 SIGTERM (the lock is released, the bundle written).`;
