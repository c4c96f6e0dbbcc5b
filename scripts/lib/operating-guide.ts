// docs/OPERATING.md, the operator's guide: its troubleshooting section is generated from the error
// taxonomy (one table per bucket, one row per code), written between two markers by
// `npx tsx scripts/docs-operating.ts`; a test fails when the file differs from what it would write.
// `npm run -s explain <code>` uses the same reading of the guide to say where it covers a code.
import path from "node:path";
import taxonomy from "../../contracts/error_taxonomy.json";
import { BUCKETS, Bucket, ErrorCode, allCodes, taxonomyEntry } from "../../contracts/errors";

export const GUIDE_PATH = path.join("docs", "OPERATING.md");
export const TROUBLESHOOTING_HEADING = "Troubleshooting by error code";
export const BEGIN_MARKER = "<!-- BEGIN GENERATED: troubleshooting table (npx tsx scripts/docs-operating.ts; do not edit by hand) -->";
export const END_MARKER = "<!-- END GENERATED: troubleshooting table -->";

const BUCKET_TITLES: Record<Bucket, string> = {
  env: "the host and the operator's environment",
  config: "the stack configuration",
  runtime: "containers after they were declared",
  network: "reachability",
  proof: "verification levels L1-L9",
  deps: "images and other artefacts",
};

/**
 * A table cell: one line, pipes escaped, and `<` `>` outside code spans as entities (a placeholder
 * such as <stack> would otherwise be read as an HTML tag and vanish from the rendered page).
 */
export function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, " ")
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") && part.endsWith("`") && part.length > 1 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("")
    .replace(/\|/g, "\\|");
}

/** The heading of a bucket's table in the guide. */
export function bucketHeading(bucket: Bucket): string {
  return `${bucket}: ${BUCKET_TITLES[bucket]}`;
}

/** The generated section: per bucket its description and a code | what happened | what to do table. */
export function renderTroubleshooting(codes: readonly ErrorCode[] = allCodes()): string {
  const buckets = taxonomy.buckets as Record<Bucket, string>;
  const out: string[] = [BEGIN_MARKER, ""];
  for (const bucket of BUCKETS) {
    const rows = codes.filter((c) => taxonomyEntry(c).bucket === bucket).sort();
    if (rows.length === 0) continue;
    out.push(`### ${bucketHeading(bucket)}`, "", cell(buckets[bucket]), "", "| code | what happened | what to do |", "| --- | --- | --- |");
    for (const code of rows) {
      const e = taxonomyEntry(code);
      out.push(`| \`${code}\` | ${cell(e.description)} | ${cell(e.action)} |`);
    }
    out.push("");
  }
  out.push(END_MARKER);
  return out.join("\n");
}

/** The guide with its generated section replaced; throws when the markers are missing or out of order. */
export function withTroubleshooting(doc: string, section: string = renderTroubleshooting()): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < 0 || end < begin) {
    throw new Error(`${GUIDE_PATH} has no generated section: put the two marker lines\n${BEGIN_MARKER}\n${END_MARKER}\nunder "## ${TROUBLESHOOTING_HEADING}"`);
  }
  return doc.slice(0, begin) + section + doc.slice(end + END_MARKER.length);
}

/** The generated section as it stands in the guide (markers included), or undefined. */
export function currentTroubleshooting(doc: string): string | undefined {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  return begin < 0 || end < begin ? undefined : doc.slice(begin, end + END_MARKER.length);
}

/** The codes that have a row in a troubleshooting table of the guide. */
export function tableCodes(doc: string): string[] {
  const section = currentTroubleshooting(doc) ?? "";
  return [...section.matchAll(/^\| `(E_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export interface GuideSection {
  /** The heading's text, and its parent headings' (outermost first). */
  trail: string[];
  anchor: string;
  /** 1-based line of the heading. */
  line: number;
}

/** Each section of the guide (a heading and the text up to the next heading) that names `code`. */
export function sectionsNaming(doc: string, code: string): GuideSection[] {
  const found: GuideSection[] = [];
  const trail: string[] = [];
  let current: GuideSection | undefined;
  let hit = false;
  const word = new RegExp(`(?<![A-Z0-9_])${code}(?![A-Z0-9_])`);
  const close = () => {
    if (current && hit) found.push(current);
    hit = false;
  };
  let fence = false;
  doc.split("\n").forEach((text, i) => {
    if (/^\s*```/.test(text)) fence = !fence;
    const h = fence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(text);
    if (h) {
      close();
      trail.length = h[1].length - 1;
      trail[h[1].length - 1] = h[2];
      current = { trail: trail.filter((t) => t !== undefined), anchor: headingAnchor(h[2]), line: i + 1 };
      return;
    }
    if (word.test(text)) hit = true;
  });
  close();
  return found;
}
