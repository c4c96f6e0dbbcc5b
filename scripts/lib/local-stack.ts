// The `local` stack of `npm start`: Pulumi.local.yaml (gitignored) written once from the tracked
// template stacks/local.template.yaml, so neither the template nor any other tracked file is ever
// written (Pulumi adds the encryption salt to the copy). One setting serves every image from a
// local registry on a host that reaches no public one: LOGGING_BOOTSTRAP_REGISTRY_MIRROR=<host:port[/path]>
// rewrites each pinned image to <mirror>/<repository path>:<tag>[@digest] in the copy.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { BootstrapError } from "../../contracts/errors";

export const LOCAL_STACK = "local";
export const LOCAL_TEMPLATE = path.join("stacks", "local.template.yaml");
export const MIRROR_ENV = "LOGGING_BOOTSTRAP_REGISTRY_MIRROR";
const NS = "logging-bootstrap:";

/**
 * An image reference served from a mirror: the registry host (a first component with `.` or `:`,
 * or `localhost`) is dropped, the repository path, tag and digest are kept.
 *   grafana/grafana:13.2.0 -> <mirror>/grafana/grafana:13.2.0
 *   ghcr.io/google/cadvisor:v0.60.5 -> <mirror>/google/cadvisor:v0.60.5
 */
export function mirrorRef(ref: string, mirror: string): string {
  const m = mirror.replace(/\/+$/, "");
  if (!/^[A-Za-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._/-]+)?$/.test(m)) throw new BootstrapError("E_ENV_USAGE", `${MIRROR_ENV}=${JSON.stringify(mirror)} is not <host[:port]>[/path]`);
  const parts = ref.split("/");
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) parts.shift();
  return `${m}/${parts.join("/")}`;
}

/** The stack file text with every images.<service> served from the mirror (comments and the rest kept). */
export function withMirror(text: string, mirror: string | undefined): string {
  if (!mirror) return text;
  const doc = YAML.parseDocument(text);
  const images = doc.getIn(["config", `${NS}images`]) as YAML.YAMLMap | undefined;
  if (!images || !YAML.isMap(images)) return text;
  for (const pair of images.items) {
    const key = String((pair.key as YAML.Scalar).value ?? pair.key);
    const ref = doc.getIn(["config", `${NS}images`, key]);
    if (typeof ref === "string") doc.setIn(["config", `${NS}images`, key], mirrorRef(ref, mirror));
  }
  return doc.toString();
}

/**
 * Write Pulumi.<stack>.yaml from the template when it does not exist yet (never overwrites: the
 * copy holds the stack's salt and the operator's changes). Returns what it did, for the output.
 */
export function materializeLocalStack(root: string, stack: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (stack !== LOCAL_STACK || fs.existsSync(file)) return undefined;
  const template = fs.readFileSync(path.join(root, LOCAL_TEMPLATE), "utf8");
  const mirror = env[MIRROR_ENV] || undefined;
  const header = `# Written by npm start from ${LOCAL_TEMPLATE}${mirror ? ` with ${MIRROR_ENV}=${mirror}` : ""}; untracked (.gitignore).\n`;
  fs.writeFileSync(file, header + withMirror(template, mirror), { flag: "wx" });
  return `${path.basename(file)} written from ${LOCAL_TEMPLATE}${mirror ? ` (images from the mirror ${mirror})` : ""}`;
}
