// Desired state from an evaluated program (the bytes each container receives) and per-service
// artifact hashes (BootstrapStarted.artifact_hash).
import crypto from "node:crypto";
import { artifactHashes, desiredFromEvaluation, serviceOfPath } from "../../scripts/lib/evidence-collect";

const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

it("hashes every non-secret upload of every container, keyed by service label and path", () => {
  const files = desiredFromEvaluation({ resources: [
    { type: "docker:index/container:Container", name: "logging-test-loki", inputs: {
      labels: [{ label: "logging-bootstrap.service", value: "loki" }],
      uploads: [{ file: "/etc/loki/config.yaml", content: "auth_enabled: false\n" }],
    } },
    { type: "docker:index/container:Container", name: "logging-test-grafana", inputs: {
      labels: [{ label: "logging-bootstrap.service", value: "grafana" }],
      uploads: [
        { file: "/etc/grafana/provisioning/datasources/datasources.yaml", content: "apiVersion: 1\n" },
        { file: "/etc/grafana/secrets/admin_password", content: "pw" },
        { file: "/etc/grafana/x.yaml", content: "***REDACTED***" },
      ],
    } },
    { type: "docker:index/remoteImage:RemoteImage", name: "img", inputs: { uploads: [{ file: "/x", content: "y" }] } },
  ] });
  expect(files).toEqual({
    "loki:/etc/loki/config.yaml": sha("auth_enabled: false\n"),
    "grafana:/etc/grafana/provisioning/datasources/datasources.yaml": sha("apiVersion: 1\n"),
  });
  const h = artifactHashes(files);
  expect(Object.keys(h).sort()).toEqual(["grafana", "loki"]);
  expect(h.loki).toBe(sha(`loki:/etc/loki/config.yaml=${sha("auth_enabled: false\n")}`));
});

it("finds the service of an output path or container file", () => {
  expect(serviceOfPath("configShas.nodeExporter./x")).toBe("nodeExporter");
  expect(serviceOfPath("images.logging-test-node-exporter")).toBe("nodeExporter");
  expect(serviceOfPath("endpoints.grafana")).toBe("grafana");
  expect(serviceOfPath("projectName")).toBeUndefined();
});
