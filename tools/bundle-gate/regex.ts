/**
 * Regular expressions Espruino evaluates wrongly, mostly without an error.
 *
 * Espruino's matcher (src/jswrap_regexp.c) knows characters, `.`, classes `[...]`, escapes
 * (\d \s \w \D \S \W \xNN and control escapes), `^`, `$`, `*` and `+` on a single atom, top-level
 * `|`, and `(`/`)` as capture markers only. Everything else is matched as a literal character
 * or misread. The runtime doc measured `?`, `{n}` and quantified groups giving wrong results.
 */

export interface RegexIssue {
  id: string;
  what: string;
  why: string;
}

const WRONG = "Espruino 2v29 gives wrong results, no error";

const ISSUES = {
  optional: { id: "regex-optional", what: "`?` quantifier", why: `${WRONG} (\`/ab?c/.exec("abc")\` is null)` },
  lazy: { id: "regex-lazy", what: "lazy quantifier (`*?`, `+?`)", why: `${WRONG}: \`?\` is not understood` },
  counted: { id: "regex-counted", what: "`{n}` / `{n,m}` quantifier", why: WRONG },
  groupQuantifier: {
    id: "regex-group-quantifier",
    what: "quantified group `(...)?`, `(...)*`, `(...)+`, `(...){n}`",
    why: `${WRONG}: groups are only capture markers`,
  },
  nonCapturing: {
    id: "regex-group-syntax",
    what: "non-capturing group `(?:...)`",
    why: `${WRONG}: \`?\` after \`(\` is not understood`,
  },
  lookahead: {
    id: "regex-lookaround",
    what: "lookahead `(?=...)` / `(?!...)`",
    why: `${WRONG}: no assertions but ^ and $`,
  },
  lookbehind: {
    id: "regex-lookaround",
    what: "lookbehind `(?<=...)` / `(?<!...)`",
    why: `${WRONG}: no assertions but ^ and $`,
  },
  namedGroup: {
    id: "regex-named-group",
    what: "named group `(?<name>...)` or `\\k<name>`",
    why: `${WRONG}: not understood`,
  },
  alternationInGroup: {
    id: "regex-group-alternation",
    what: "`|` inside a group",
    why: `${WRONG}: \`|\` always splits the whole pattern (source: nomatchfound)`,
  },
  alternationInClass: {
    id: "regex-class-bar",
    what: "`|` inside a character class",
    why: `${WRONG}: read as an alternation when a match fails; write \\|`,
  },
  wordBoundary: {
    id: "regex-word-boundary",
    what: "`\\b` / `\\B` assertion",
    why: `${WRONG}: \\b matches a backspace character, \\B a letter B`,
  },
  backreference: {
    id: "regex-backreference",
    what: "backreference `\\1`..`\\9`",
    why: 'Espruino throws "Backreferences not supported"',
  },
  unicodeEscape: {
    id: "regex-unicode-escape",
    what: "`\\u`, `\\p`, `\\P` or `\\c` escape",
    why: `${WRONG}: read as the literal letter`,
  },
} satisfies Record<string, RegexIssue>;

/** Issues in a regex source and its flags; each kind is reported once per regex. */
export function checkRegex(pattern: string, flags: string, allowedFlags: string): RegexIssue[] {
  const found = new Map<string, RegexIssue>();
  const add = (issue: RegexIssue) => found.set(issue.what, issue);
  scanPattern(pattern, add);
  for (const flag of flags) {
    if (!allowedFlags.includes(flag)) {
      add({
        id: "regex-flag",
        what: `flag \`${flag}\``,
        why: "ignored by Espruino: only the g and i flags are implemented (source: jswrap_regexp.c)",
      });
    }
  }
  return [...found.values()];
}

/** What the quantifier-bearing token just before the current position was. */
type Previous = "none" | "atom" | "group" | "quantifier";

function scanPattern(p: string, add: (issue: RegexIssue) => void): void {
  let previous: Previous = "none";
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      checkEscape(p[i + 1] ?? "", inClass, add);
      i++;
      if (!inClass) previous = "atom";
      continue;
    }
    if (inClass) {
      if (c === "]") {
        inClass = false;
        previous = "atom";
      } else if (c === "|") add(ISSUES.alternationInClass);
      continue;
    }
    switch (c) {
      case "[":
        inClass = true;
        break;
      case "(":
        if (p[i + 1] === "?") checkGroupPrefix(p.slice(i + 2), add);
        depth++;
        previous = "none";
        break;
      case ")":
        depth = Math.max(0, depth - 1);
        previous = "group";
        break;
      case "|":
        if (depth > 0) add(ISSUES.alternationInGroup);
        previous = "none";
        break;
      case "?":
        if (previous === "group") add(ISSUES.groupQuantifier);
        else if (previous === "quantifier") add(ISSUES.lazy);
        else if (previous === "atom") add(ISSUES.optional);
        // after "(" it is a group prefix, already reported
        previous = "quantifier";
        break;
      case "*":
      case "+":
        if (previous === "group") add(ISSUES.groupQuantifier);
        previous = "quantifier";
        break;
      case "{": {
        const counted = /^\{\d+(,\d*)?\}/.exec(p.slice(i));
        if (counted) {
          add(previous === "group" ? ISSUES.groupQuantifier : ISSUES.counted);
          i += counted[0].length - 1;
          previous = "quantifier";
        } else previous = "atom"; // a literal "{"
        break;
      }
      case "^":
      case "$":
        previous = "none";
        break;
      default:
        previous = "atom";
    }
  }
}

function checkEscape(e: string, inClass: boolean, add: (issue: RegexIssue) => void): void {
  if (!inClass && (e === "b" || e === "B")) add(ISSUES.wordBoundary);
  else if (e >= "1" && e <= "9") add(ISSUES.backreference);
  else if (e === "k") add(ISSUES.namedGroup);
  else if ("upPc".includes(e) && e !== "") add(ISSUES.unicodeEscape);
}

function checkGroupPrefix(rest: string, add: (issue: RegexIssue) => void): void {
  if (rest.startsWith(":")) add(ISSUES.nonCapturing);
  else if (rest.startsWith("=") || rest.startsWith("!")) add(ISSUES.lookahead);
  else if (rest.startsWith("<=") || rest.startsWith("<!")) add(ISSUES.lookbehind);
  else if (rest.startsWith("<")) add(ISSUES.namedGroup);
}
