"use strict";
// The Slack side of the alert sink: what Alertmanager's Slack integration posts to an incoming
// webhook (api_url / api_url_file), and how the sink answers so that Alertmanager counts a success.
//
// What Alertmanager sends (notify/slack/slack.go + types.go, v0.27.0 and v0.35.0): POST with
// Content-Type application/json (notify.PostJSON) of one JSON object {channel, username,
// icon_emoji, icon_url, link_names, text (0.35: message_text), ts / thread_ts (0.35: update and
// thread modes), attachments: [one attachment {title, title_link, pretext, text, fallback,
// callback_id, fields, actions, image_url, thumb_url, footer, color, mrkdwn_in}]}; text, fallback,
// callback_id and footer are always present (no omitempty), the others only when not empty.
//
// How Alertmanager judges the answer (the same rule in both versions): any 2xx passes the status
// check (other codes fail; 5xx, and in 0.35 also 429, are retried); then the body: when the answer's
// Content-Type starts with "application/json" it must be a JSON object with "ok": true (the Web API,
// chat.postMessage), otherwise the body must be exactly the two bytes "ok" (an incoming webhook; no
// newline, no other case), else the notification counts as failed.
// Node builtins only.

/** Paths that accept Slack posts: /slack/<name> (one sink, several Slack receivers). */
function isSlackPath(p) {
  return /^\/slack\/[A-Za-z0-9._-]+$/.test(p);
}

/** The <name> of /slack/<name>. */
function slackName(p) {
  return p.slice("/slack/".length);
}

/** What an incoming webhook answers on success: 200 and the body `ok` (not JSON). */
const SLACK_OK = { status: 200, body: "ok" };

/** Slack's limit on attachments per message (larger: 400 too_many_attachments). */
const MAX_ATTACHMENTS = 100;

const TOP_STRINGS = ["channel", "username", "icon_emoji", "icon_url", "text", "ts", "thread_ts"];
const ATTACHMENT_STRINGS = ["title", "title_link", "pretext", "text", "fallback", "callback_id", "image_url", "thumb_url", "footer", "color"];

const isObj = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Check a Slack message as the sink accepts it (the fields Alertmanager sends, with their JSON
 * types). Returns { error, problems }: error is null when accepted, else the error string an
 * incoming webhook answers with 400 (`invalid_payload`, `no_text`, `too_many_attachments`);
 * problems name what is wrong (for the sink's log and the tests). Unknown fields are kept.
 */
function validateSlackMessage(m) {
  if (!isObj(m)) return { error: "invalid_payload", problems: ["body is not a JSON object"] };
  const problems = [];
  for (const k of TOP_STRINGS) if (m[k] !== undefined && typeof m[k] !== "string") problems.push(`${k} must be a string`);
  if (m.link_names !== undefined && typeof m.link_names !== "boolean") problems.push("link_names must be a boolean");
  const atts = m.attachments === null ? undefined : m.attachments;
  if (atts !== undefined && !Array.isArray(atts)) problems.push("attachments must be an array");
  else if (atts !== undefined) {
    if (atts.length > MAX_ATTACHMENTS) return { error: "too_many_attachments", problems: [`more than ${MAX_ATTACHMENTS} attachments`] };
    atts.forEach((a, i) => {
      if (!isObj(a)) return problems.push(`attachments[${i}] must be an object`);
      for (const k of ATTACHMENT_STRINGS) if (a[k] !== undefined && typeof a[k] !== "string") problems.push(`attachments[${i}].${k} must be a string`);
      if (a.mrkdwn_in !== undefined && a.mrkdwn_in !== null && !(Array.isArray(a.mrkdwn_in) && a.mrkdwn_in.every((x) => typeof x === "string"))) problems.push(`attachments[${i}].mrkdwn_in must be an array of strings`);
      if (a.fields !== undefined && a.fields !== null) {
        if (!Array.isArray(a.fields)) problems.push(`attachments[${i}].fields must be an array`);
        else
          a.fields.forEach((f, j) => {
            const ok = isObj(f) && ["title", "value"].every((k) => f[k] === undefined || typeof f[k] === "string") && (f.short === undefined || typeof f.short === "boolean");
            if (!ok) problems.push(`attachments[${i}].fields[${j}] must be {title, value, short}`);
          });
      }
      if (a.actions !== undefined && a.actions !== null && !(Array.isArray(a.actions) && a.actions.every(isObj))) problems.push(`attachments[${i}].actions must be an array of objects`);
    });
  }
  if (problems.length) return { error: "invalid_payload", problems };
  const hasText = typeof m.text === "string" && m.text !== "";
  const hasAttachments = Array.isArray(atts) && atts.length > 0;
  const hasBlocks = Array.isArray(m.blocks) && m.blocks.length > 0;
  if (!hasText && !hasAttachments && !hasBlocks) return { error: "no_text", problems: ["neither text nor attachments nor blocks"] };
  return { error: null, problems: [] };
}

module.exports = { isSlackPath, slackName, validateSlackMessage, SLACK_OK, MAX_ATTACHMENTS };
