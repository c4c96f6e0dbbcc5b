// A running Alloy's component API for unit tests, as the Alloy double serves it
// (test/env/doubles/alloy/components.js, Alloy 1.19's shapes) for a given config text: every
// component healthy, no Docker containers or files seen. `edit` changes an answer before it is
// served (a component gone, unhealthy, or running other arguments than the config says).
/* eslint-disable @typescript-eslint/no-require-imports */
const components = require("../env/doubles/alloy/components.js");
const { parseAlloyFile } = require("../../contracts/alloy/syntax");

export type ComponentJson = Record<string, unknown> & { localID: string; health: { state: string; message: string } };

export interface AlloyApiOptions {
  /** Change the list (remove or alter components) before it is served. */
  list?: (list: ComponentJson[]) => ComponentJson[];
  /** Change one component's detail before it is served. */
  detail?: (info: ComponentJson) => ComponentJson;
  /** Runtime facts the double would have (docker tails, files read, journal error). */
  state?: Record<string, unknown>;
}

/** Answer an Alloy component API path for `config`, or undefined for any other path. */
export function alloyApi(config: string, o: AlloyApiOptions = {}): (path: string) => { status: number; body: string } | undefined {
  const root = parseAlloyFile(config);
  const now = Date.now();
  const state = () => ({ now: Date.now(), loadedAt: now, startedAt: {}, files: [], docker: { containers: [], tails: [] }, journal: { error: null }, expandGlob: () => [], ...o.state });
  return (path) => {
    if (path === "/api/v0/web/components") {
      const list = components.listComponents(root, state()) as ComponentJson[];
      return { status: 200, body: JSON.stringify(o.list ? o.list(list) : list) };
    }
    const m = /^\/api\/v0\/web\/components\/(.+)$/.exec(path);
    if (!m) return undefined;
    const id = decodeURIComponent(m[1]);
    const listed = (o.list ? o.list(components.listComponents(root, state())) : undefined) as ComponentJson[] | undefined;
    if (listed && !listed.some((c) => c.localID === id)) return { status: 404, body: "404 page not found\n" };
    const info = components.getComponent(root, state(), id) as ComponentJson | null;
    if (!info) return { status: 404, body: "404 page not found\n" };
    return { status: 200, body: JSON.stringify(o.detail ? o.detail(info) : info) };
  };
}
