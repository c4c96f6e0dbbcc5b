"use strict";
// What the Alloy versions the stack supports (1.2 and up) do differently where the double imitates
// them: the component API's JSON, the HTTP server's endpoints, and what the sources report. Read
// from github.com/grafana/alloy at each minor release's tag (v1.0.0 ... v1.19.0-rc.3):
// - internal/component/component_provider.go Info.MarshalJSON: `liveDebuggingEnabled` from 1.6.0,
//   `dataFlowEdgesTo` from 1.8.0 (before, neither key is written);
// - internal/service/http/http.go: `/-/healthy` from 1.6.0 (before, the router answers 404);
// - internal/component/loki/source/journal: its own CurrentHealth ("journal tailer is running")
//   from 1.11.0; before, the component's health is the controller's ("started component");
// - internal/component/loki/source/docker: targets_info `is_running` is the string "true"/"false"
//   (strconv.FormatBool of the tailer's state) up to 1.12.x, a bool from 1.13.0.
const { versionAtLeast } = require("../lib/common");

/** The version-dependent behaviour of the Alloy `version` (a tag like v1.2.1; not a version: the newest). */
function alloyFeatures(version) {
  const at = (min) => versionAtLeast(version, min);
  return {
    liveDebuggingField: at("1.6.0"),
    dataFlowEdgesField: at("1.8.0"),
    healthyEndpoint: at("1.6.0"),
    journalOwnHealth: at("1.11.0"),
    dockerIsRunningBool: at("1.13.0"),
  };
}

/** What the double does when nobody says which version it imitates: the newest behaviour. */
const LATEST = alloyFeatures(undefined);

module.exports = { alloyFeatures, LATEST };
