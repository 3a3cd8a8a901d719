/** Topic names and filters (MQTT-4.7). All take WireStrings. */
import type { WireString } from "./packets";

/** Why `topic` cannot be a PUBLISH topic name, or "" when it can. */
export function topicNameError(topic: WireString): string {
  if (topic.length === 0) return "empty topic";
  if (topic.length > 65535) return "topic over 65535 bytes";
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 35 || c === 43) return "wildcard in topic name";
  }
  return "";
}

/** Why `filter` cannot be a subscription filter, or "" when it can. */
export function topicFilterError(filter: WireString): string {
  if (filter.length === 0) return "empty filter";
  if (filter.length > 65535) return "filter over 65535 bytes";
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.length > 1 && (level.indexOf("#") >= 0 || level.indexOf("+") >= 0)) return "wildcard inside a level";
    if (level === "#" && i !== levels.length - 1) return "'#' not last";
  }
  return "";
}

/** Does topic name `topic` match subscription `filter`? `$` topics never match a leading wildcard. */
export function topicMatches(filter: WireString, topic: WireString): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.charAt(0) === "$" && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
