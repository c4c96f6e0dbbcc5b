// HostProof's and HostDirs' providers serialized as pulumi.dynamic.Resource sends them and driven
// through Pulumi's own dynamic-provider host over gRPC, as the engine does: they capture nothing but
// themselves, load their runtime at call time, and a host whose engine does not answer is a coded
// error at create (the apply names the host) and, for the proof, a red state at read, never a hang.
import * as os from "os";
import * as path from "path";
import { hostDirsProvider } from "../../components/host-dirs";
import { hostProofProvider } from "../../components/verify/providers";
import { ProviderHost, serializeProvider, startHost, urnOf } from "../util/provider-host";
import { hostInput } from "../verify/host-fakes";

jest.setTimeout(120_000);

let host: ProviderHost;
let proofText: string;
let dirsText: string;
/** An engine address where nothing listens. */
const NOWHERE = `unix://${path.join(os.tmpdir(), `lb-no-engine-${process.pid}.sock`)}`;

beforeAll(async () => {
  proofText = await serializeProvider(hostProofProvider());
  dirsText = await serializeProvider(hostDirsProvider());
  host = await startHost();
}, 60_000);
afterAll(async () => host?.stop());

const PROOF_URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:HostProof", "logging-test-b-host");
const DIRS_URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:HostDirs", "logging-test-b-host-dirs");
const proofInputs = () => ({ __provider: proofText, ...hostInput("b", { dockerUrl: NOWHERE, engineTimeoutMs: 2000 }), retentionSeconds: 86_400, containerIds: { alloy: "a" } });
const dirsInputs = () => ({ __provider: dirsText, projectName: "logging-test", host: "b", dockerUrl: NOWHERE, image: "sha256:ne", script: "true" });

it("both capture only the provider object (their runtime loads inside the methods)", () => {
  for (const text of [proofText, dirsText]) {
    expect(text).toMatch(/^exports\.handler = __f0;/m);
    expect(text).not.toMatch(/undici|dockerode|ssh2/);
    const captured = new Set<string>();
    for (const m of text.matchAll(/with\(\{ (.*?) \}\)/g)) for (const entry of m[1].split(/, (?=[A-Za-z_$][\w$]*: )/)) captured.add(entry.slice(0, entry.indexOf(":")));
    const helpers = ["__createBinding", "__importStar", "__setModuleDefault", "ownKeys"];
    expect([...captured].filter((n) => !helpers.includes(n)).sort()).toEqual(["arguments", "provider", "this"]);
  }
});

describe("HostProof through the host", () => {
  it("Check lists a missing input; Diff of the same settled inputs is no change", async () => {
    const { lokiUrl: _l, ...noLoki } = proofInputs();
    expect((await host.check(PROOF_URN, {}, noLoki)).failures).toEqual([{ property: "lokiUrl", reason: "the host proof needs lokiUrl" }]);
    expect((await host.check(PROOF_URN, {}, proofInputs())).failures).toEqual([]);
    const settled = { ...proofInputs(), status: "green", findings: [], marker: `lbproof-${Math.floor(Date.now() / 1000)}-ab` };
    expect((await host.diff(PROOF_URN, "id", settled, proofInputs())).changes).toBe("NONE");
    expect((await host.diff(PROOF_URN, "id", settled, { ...proofInputs(), containerIds: { alloy: "b" } })).changes).toBe("SOME");
  });

  it("Create on an engine that does not answer fails with E_PROOF_HOST_UNREACHABLE naming the host; Read records red without throwing", async () => {
    await expect(host.create(PROOF_URN, proofInputs())).rejects.toMatchObject({ code: 2, details: expect.stringMatching(/^E_PROOF_HOST_UNREACHABLE: host b proof is red: b: its Docker engine at unix:\/\/.* does not answer/) });
    const r = await host.read(PROOF_URN, "id", { ...proofInputs(), status: "green", findings: [], marker: "lbproof-1800000000-ab" });
    expect(r.properties).toEqual(expect.objectContaining({ status: "red", code: "E_PROOF_HOST_UNREACHABLE", marker: "lbproof-1800000000-ab" }));
    expect((r.properties.findings as string[])[0]).toMatch(/^b: its Docker engine at unix:\/\/.* does not answer/);
  });
});

describe("HostDirs through the host", () => {
  it("Check lists what is missing; Diff runs it again only for another script or engine", async () => {
    expect((await host.check(DIRS_URN, {}, { ...dirsInputs(), script: "" })).failures).toEqual([{ property: "script", reason: "HostDirs needs script" }]);
    expect((await host.diff(DIRS_URN, "id", dirsInputs(), { ...dirsInputs(), image: "sha256:other" })).changes).toBe("NONE");
    expect((await host.diff(DIRS_URN, "id", dirsInputs(), { ...dirsInputs(), script: "true; true" })).changes).toBe("SOME");
  });

  it("Create on an engine that does not answer fails with E_ENV_DOCKER_UNREACHABLE naming the host; Read and Delete touch nothing", async () => {
    await expect(host.create(DIRS_URN, dirsInputs())).rejects.toMatchObject({ code: 2, details: expect.stringMatching(/^E_ENV_DOCKER_UNREACHABLE: b: its Docker engine at unix:\/\/.* was not reached to create its host directories \(/) });
    const props = { projectName: "logging-test", host: "b", dockerUrl: NOWHERE, image: "sha256:ne", script: "true" };
    expect((await host.read(DIRS_URN, "id", { ...props, __provider: dirsText })).properties).toEqual(expect.objectContaining(props));
    await expect(host.delete(DIRS_URN, "id", { ...props, __provider: dirsText })).resolves.toBeUndefined();
  });
});
