// The config directories of each service (components/verify/config-dirs.ts): derived from the
// uploads the program declares, as the program holds them (secret content an Output) and as the
// plan holds them (secret content REDACTED), never from a list of its own.
import { createHash, createHmac } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { configDirs, configRoot, declaredUploads, formatMode, IMPLIED_DIR, keyedHash } from "../../components/verify/config-dirs";
import { REDACTED } from "../../contracts/plan";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

describe("declaredUploads", () => {
  test("plan uploads: mode from permissions, owner 0:0, a non-secret file's sha256, a redacted one secret without a hash", () => {
    const got = declaredUploads([
      { file: "/etc/grafana/provisioning/datasources/datasources.yaml", content: "apiVersion: 1\n", permissions: "0444", executable: false },
      { file: "/etc/grafana/secrets/admin_password", content: REDACTED, permissions: "0440", executable: false },
    ]);
    expect(got).toEqual([
      { path: "/etc/grafana/provisioning/datasources/datasources.yaml", mode: 0o444, uid: 0, gid: 0, secret: false, sha256: sha("apiVersion: 1\n") },
      { path: "/etc/grafana/secrets/admin_password", mode: 0o440, uid: 0, gid: 0, secret: true },
    ]);
  });
  test("program uploads: a secret Output is secret; a file under secrets/ is secret even in plain text; the provider's default modes", () => {
    const got = declaredUploads([
      { file: "/etc/alertmanager/secrets/sink-webhook-url", content: pulumi.secret("http://hook"), permissions: "0440" },
      { file: "/etc/x/secrets/plain", content: "not really plain" },
      { file: "/etc/x/run.sh", content: "#!/bin/sh\n", executable: true },
    ]);
    expect(got.map((u) => [u.path, u.secret, u.mode.toString(8), u.sha256 === undefined])).toEqual([
      ["/etc/alertmanager/secrets/sink-webhook-url", true, "440", true],
      ["/etc/x/secrets/plain", true, "644", true],
      ["/etc/x/run.sh", false, "744", false],
    ]);
  });
  test("junk is skipped, never thrown on", () => {
    expect(declaredUploads(undefined)).toEqual([]);
    expect(declaredUploads([null, 3, { content: "x" }, { file: "" }])).toEqual([]);
  });
});

describe("configRoot / configDirs", () => {
  test("a service reads its config from the tree under /etc/<dir> its uploads sit in", () => {
    expect(configRoot("/etc/grafana/provisioning/dashboards/dashboards.yaml")).toBe("/etc/grafana");
    expect(configRoot("/etc/alertmanager/secrets/a-webhook-url")).toBe("/etc/alertmanager");
    expect(configRoot("/opt/app/conf/x.yml")).toBe("/opt/app/conf");
  });
  test("one directory per root; every upload and every directory the engine creates on the way to it", () => {
    const dirs = configDirs(
      declaredUploads([
        { file: "/etc/grafana/dashboards/a.json", content: "{}", permissions: "0444" },
        { file: "/etc/grafana/provisioning/datasources/datasources.yaml", content: "x", permissions: "0444" },
        { file: "/etc/grafana/secrets/admin_password", content: REDACTED, permissions: "0440" },
      ]),
    );
    expect(dirs.map((d) => d.root)).toEqual(["/etc/grafana"]);
    expect(dirs[0].entries.map((e) => `${e.kind} ${e.path} ${formatMode(e.mode)} ${e.uid}:${e.gid}${e.secret ? " secret" : ""}${e.sha256 ? " sha" : ""}`)).toEqual([
      "dir /etc/grafana 0755 0:0",
      "dir /etc/grafana/dashboards 0755 0:0",
      "file /etc/grafana/dashboards/a.json 0444 0:0 sha",
      "dir /etc/grafana/provisioning 0755 0:0",
      "dir /etc/grafana/provisioning/datasources 0755 0:0",
      "file /etc/grafana/provisioning/datasources/datasources.yaml 0444 0:0 sha",
      "dir /etc/grafana/secrets 0755 0:0",
      "file /etc/grafana/secrets/admin_password 0440 0:0 secret",
    ]);
    expect(IMPLIED_DIR).toEqual({ mode: 0o755, uid: 0, gid: 0 });
  });
  test("two roots, sorted; no uploads, no directories", () => {
    const dirs = configDirs(declaredUploads([{ file: "/etc/prometheus/prometheus.yml", content: "a" }, { file: "/etc/alertmanager/alertmanager.yml", content: "b" }]));
    expect(dirs.map((d) => d.root)).toEqual(["/etc/alertmanager", "/etc/prometheus"]);
    expect(configDirs([])).toEqual([]);
  });
});

describe("keyedHash", () => {
  test("HMAC-SHA256 of the exact bytes, hex; another key, another hash; never the plain sha256", () => {
    expect(keyedHash("k", "secret")).toBe(createHmac("sha256", "k").update("secret").digest("hex"));
    expect(keyedHash("k", Buffer.from("secret"))).toBe(keyedHash("k", "secret"));
    expect(keyedHash("k2", "secret")).not.toBe(keyedHash("k", "secret"));
    expect(keyedHash("k", "secret")).not.toBe(sha("secret"));
  });
  test("refuses an empty key (a hash anyone can recompute)", () => {
    expect(() => keyedHash("", "x")).toThrow(/key/);
  });
});
