// contracts/plan: the one "desired files of a service" definition render, verify and evidence share.
import { desiredFiles, isSecretSig, isSecretUpload, REDACTED, SIG, TYPES, unwrap } from "../../contracts/plan";

const container = (name: string, service: string | undefined, uploads: unknown[]) => ({
  type: TYPES.container,
  name,
  inputs: { name, labels: service ? [{ label: "logging-bootstrap.service", value: service }] : [], uploads },
});

it("lists each container's uploads in order, secret uploads left out", () => {
  const got = desiredFiles({
    resources: [
      container("t-grafana", "grafana", [
        { file: "/etc/grafana/grafana.ini", content: "a" },
        { file: "/etc/grafana/secrets/admin_password", content: "plain-but-secret" },
        { file: "/etc/grafana/x.yaml", content: REDACTED },
        { file: "/etc/grafana/y.yaml", content: { [SIG.key]: SIG.secret, value: "s" } },
        { file: "/etc/grafana/b.yaml", content: "b" },
      ]),
      { type: TYPES.remoteImage, name: "img", inputs: { uploads: [{ file: "/x", content: "y" }] } },
      container("t-other", undefined, []),
    ],
  });
  expect(got.map((c) => [c.resource.name, c.service, c.files])).toEqual([
    ["t-grafana", "grafana", [{ path: "/etc/grafana/grafana.ini", content: "a" }, { path: "/etc/grafana/b.yaml", content: "b" }]],
    ["t-other", undefined, []],
  ]);
});

it("recognises Pulumi's secret signature and REDACTED", () => {
  const s = { [SIG.key]: SIG.secret, value: { [SIG.key]: SIG.secret, value: 3 } };
  expect(isSecretSig(s)).toBe(true);
  expect(unwrap(s)).toBe(3);
  expect(isSecretUpload("/etc/loki/config.yaml", "x")).toBe(false);
  expect(isSecretUpload("/etc/loki/config.yaml", REDACTED)).toBe(true);
  expect(isSecretUpload("/etc/alertmanager/secrets/r-webhook-url", "x")).toBe(true);
});
