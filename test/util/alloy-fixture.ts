// One hand-written Alloy config for the tests that need an allowlisted pipeline without the
// renderer (policy, L4, the Alloy double): Docker and journal sources behind keep rules, one
// redaction process, one Loki writer. Each test picks its names and redactions; the text is
// laid out like the renderer's (aligned attributes, a blank line between components).

export interface AlloyFixture {
  /** Container names the Docker keep rule admits (`^(/a|/b)$`). */
  containers: string[];
  /** systemd units the journal keep rule admits. */
  units: string[];
  /** `stage.replace` stages of loki.process "redact": the RE2 expression and its replacement. */
  redactions: { expression: string; replace: string }[];
  /** Further rule blocks of discovery.relabel "docker_allowlist", after the keep rule. */
  dockerRules?: string[];
}

const quote = (s: string) => JSON.stringify(s);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function alloyFixture(f: AlloyFixture): string {
  const rule = (label: string, regex: string) =>
    `  rule {\n    source_labels = [${quote(label)}]\n    regex         = ${quote(regex)}\n    action        = "keep"\n  }\n`;
  const stages = f.redactions.map((r) => `  stage.replace {\n    expression = ${quote(r.expression)}\n    replace    = ${quote(r.replace)}\n  }\n`);
  return `// allowlisted sources only
discovery.docker "containers" {
  host = "unix:///var/run/docker.sock"
}

discovery.relabel "docker_allowlist" {
  targets = discovery.docker.containers.targets
${rule("__meta_docker_container_name", `^(${f.containers.map((c) => `/${c}`).join("|")})$`)}${(f.dockerRules ?? []).join("")}}

loki.source.docker "containers" {
  host       = "unix:///var/run/docker.sock"
  targets    = discovery.relabel.docker_allowlist.output
  forward_to = [loki.process.redact.receiver]
}

loki.relabel "journal_allowlist" {
  forward_to = []
${rule("__journal__systemd_unit", `^(${f.units.map(escapeRe).join("|")})$`)}}

loki.source.journal "journal" {
  path          = "/var/log/journal"
  relabel_rules = loki.relabel.journal_allowlist.rules
  forward_to    = [loki.process.redact.receiver]
}

loki.process "redact" {
  forward_to = [loki.write.loki.receiver]
${stages.join("")}}

loki.write "loki" {
  endpoint {
    url = "http://loki:3100/loki/api/v1/push"
  }
}
`;
}
