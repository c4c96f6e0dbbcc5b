import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { msg } from "../lib/report";
import { LABEL_DATA, LABEL_RETAIN, labelsOf, str, TYPES } from "../lib/resources";

/** A data volume: labelled logging-bootstrap.data=true, or named like one (`<project>-<service>-data`). */
export function isDataVolume(r: Pick<PolicyResource, "type" | "props">): boolean {
  if (r.type !== TYPES.volume) return false;
  return labelsOf(r.props)[LABEL_DATA] === "true" || /-data$/.test(str(r.props.name) ?? "");
}

type Opts = PolicyResource["opts"] & { retainOnDelete?: boolean };

/** Retention problem of one data volume, or undefined when it is retained. */
export function retentionProblem(r: Pick<PolicyResource, "props" | "name" | "opts">): string | undefined {
  const opts = r.opts as Opts;
  const who = str(r.props.name) ?? r.name;
  const declared = labelsOf(r.props)[LABEL_RETAIN] === "true";
  const fix = "declare the volume with retainOnDelete: true (or protect: true) in components/, and label it logging-bootstrap.retain=true so the CLI's analyzer can see it";
  if (opts.protect === true) return undefined;
  if (typeof opts.retainOnDelete === "boolean") {
    // The offline evaluation sees the real option: it decides, and a label that claims otherwise is refused.
    if (opts.retainOnDelete) return undefined;
    if (declared) return msg(`Data volume ${who} is labelled ${LABEL_RETAIN}=true but is neither retainOnDelete nor protected, so \`pulumi destroy\` deletes its data.`, fix);
    return msg(`Data volume ${who} is neither retainOnDelete nor protected, so \`pulumi destroy\` or a replacement deletes its data.`, fix);
  }
  // The analyzer protocol (@pulumi/pulumi 3.x) does not carry retainOnDelete: trust the label there;
  // policy:check, which sees the option, keeps the label honest.
  if (declared) return undefined;
  return msg(`Data volume ${who} is not protected and declares no ${LABEL_RETAIN}=true label, so its data is not shown to survive \`pulumi destroy\`.`, fix);
}

export const dataRetained: StackValidationPolicy = {
  name: "data-retained",
  description: "Every data volume (label logging-bootstrap.data=true) is retained on delete or protected, so no Pulumi operation deletes stored logs, metrics or dashboards.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const volumes = args.resources.filter(isDataVolume);
    if (volumes.length === 0) return args.notApplicable("no data volumes in the stack");
    for (const v of volumes) {
      const problem = retentionProblem(v);
      if (problem) report(problem, v.urn);
    }
  },
};
