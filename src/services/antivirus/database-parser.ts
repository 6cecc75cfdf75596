// Loads ClamAV `.ndb`, `.hdb` and `.hsb` text (paper §5.2) into signatures.
// Rules follow what clamscan 1.4 does (checked by hand and by the
// differential tests): unsupported features are skipped and reported per
// line; lines clamscan refuses are errors that name the file and line.
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { chooseAnchor } from "./anchor.ts";
import type { BodyEntry } from "./body-matcher.ts";
import { parseHexPattern } from "./hex-pattern.ts";
import {
  type HashSignature,
  hashAlgorithmByHexLength,
  type SignatureOffset,
  type SkippedLine,
} from "./signature.ts";

/** ClamAV 1.4's functionality level: signatures outside their level range are skipped. */
export const functionalityLevel = 216;
/** clamscan refuses wildcard-size hash lines below this level field. */
const wildcardSizeLevelMin = 73;

export interface ParsedDatabase {
  /** Body signatures as source text plus anchor; patterns are reparsed on demand. */
  body: BodyEntry[];
  hash: HashSignature[];
  skipped: SkippedLine[];
}

export function emptyParsedDatabase(): ParsedDatabase {
  return { body: [], hash: [], skipped: [] };
}

export type DatabaseKind = "ndb" | "hdb" | "hsb";

export function databaseKindOf(fileName: string): DatabaseKind | undefined {
  const m = /\.(ndb|hdb|hsb)$/i.exec(fileName);
  return m === null ? undefined : (m[1]!.toLowerCase() as DatabaseKind);
}

export function parseOffset(text: string): SignatureOffset | "unsupported" | undefined {
  if (text === "*") return { kind: "any" };
  const m = /^(EOF-)?(\d+)(?:,(\d+))?$/.exec(text);
  if (m === null) return /^(EP|SL|S\d+|SE|VI)/.test(text) ? "unsupported" : undefined;
  const value = Number(m[2]);
  const shift = m[3] === undefined ? 0 : Number(m[3]);
  return m[1] === undefined ? { kind: "absolute", start: value, shift } : { kind: "eof", back: value, shift };
}

/** undefined when the level range includes ours, else the reason to skip. */
function levelSkipReason(min: string | undefined, max: string | undefined): string | undefined {
  if (min !== undefined && min !== "" && Number(min) > functionalityLevel) {
    return `requires functionality level ${min} (ours is ${functionalityLevel})`;
  }
  if (max !== undefined && max !== "" && Number(max) < functionalityLevel) {
    return `limited to functionality level ${max} (ours is ${functionalityLevel})`;
  }
  return undefined;
}

type LineOutcome = { kind: "error"; reason: string } | { kind: "skip"; reason: string } | { kind: "done" };

function parseBodyLine(fields: string[], into: ParsedDatabase): LineOutcome {
  if (fields.length < 4 || fields.length > 6)
    return { kind: "error", reason: "expected name:target:offset:hexsig" };
  const [name, target, offsetText, hex, minLevel, maxLevel] = fields as [
    string,
    string,
    string,
    string,
    ...string[],
  ];
  if (name === "" || hex === "") return { kind: "error", reason: "empty name or signature" };
  if (!/^\d+$/.test(target)) return { kind: "error", reason: `bad target '${target}'` };
  const offset = parseOffset(offsetText);
  if (offset === undefined) return { kind: "error", reason: `bad offset '${offsetText}'` };
  const pattern = parseHexPattern(hex);
  if (pattern.kind === "malformed") return { kind: "error", reason: pattern.reason };
  if (Number(target) !== 0)
    return { kind: "skip", reason: `target type ${target} is not supported (only 0, any file)` };
  if (offset === "unsupported") return { kind: "skip", reason: `offset '${offsetText}' is not supported` };
  if (pattern.kind === "unsupported") return { kind: "skip", reason: pattern.reason };
  const level = levelSkipReason(minLevel, maxLevel);
  if (level !== undefined) return { kind: "skip", reason: level };
  const anchor = chooseAnchor(pattern.pattern);
  const values = pattern.pattern.parts[anchor.part]!.values;
  const anchorBytes = values.slice(anchor.at, anchor.at + anchor.length);
  into.body.push({ name, offset: offsetText, hex, anchor, anchorBytes });
  return { kind: "done" };
}

function parseHashLine(fields: string[], into: ParsedDatabase): LineOutcome {
  if (fields.length < 3 || fields.length > 5) return { kind: "error", reason: "expected hash:size:name" };
  const [digest, sizeText, name, minLevel, maxLevel] = fields as [string, string, string, ...string[]];
  const algorithm = hashAlgorithmByHexLength[digest.length];
  if (algorithm === undefined || !/^[0-9a-fA-F]+$/.test(digest)) {
    return { kind: "error", reason: `malformed hash '${digest}'` };
  }
  if (name === "") return { kind: "error", reason: "empty name" };
  if (sizeText === "*") {
    if (minLevel === undefined || !(Number(minLevel) >= wildcardSizeLevelMin)) {
      return { kind: "error", reason: `wildcard size needs a level field >= ${wildcardSizeLevelMin}` };
    }
  } else if (!/^\d+$/.test(sizeText)) {
    return { kind: "error", reason: `invalid size '${sizeText}'` };
  }
  const level = levelSkipReason(minLevel, maxLevel);
  if (level !== undefined) return { kind: "skip", reason: level };
  const size = sizeText === "*" ? undefined : Number(sizeText);
  into.hash.push({ name, algorithm, digestHex: digest.toLowerCase(), size });
  return { kind: "done" };
}

/** Parses one database file's text; `into` accumulates several files. */
export function parseDatabaseText(
  fileName: string,
  text: string,
  into: ParsedDatabase = emptyParsedDatabase(),
): Result<ParsedDatabase> {
  const kind = databaseKindOf(fileName);
  if (kind === undefined) {
    return fail(
      ErrorCodes.SIGNATURE_MALFORMED,
      `${fileName}: unsupported database type (use .ndb, .hdb or .hsb)`,
    );
  }
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const where = `${fileName}:${index + 1}`;
    if (line.length > limits.signatureLineBytesMax) {
      return fail(
        ErrorCodes.SIGNATURE_MALFORMED,
        `${where}: line longer than ${limits.signatureLineBytesMax}`,
      );
    }
    if (into.body.length + into.hash.length >= limits.signaturesMax) {
      return fail(ErrorCodes.SIGNATURE_MALFORMED, `${where}: more than ${limits.signaturesMax} signatures`);
    }
    const fields = line.split(":");
    const outcome = kind === "ndb" ? parseBodyLine(fields, into) : parseHashLine(fields, into);
    if (outcome.kind === "error") return fail(ErrorCodes.SIGNATURE_MALFORMED, `${where}: ${outcome.reason}`);
    if (outcome.kind === "skip")
      into.skipped.push({ file: fileName, line: index + 1, reason: outcome.reason });
  }
  assert(
    into.skipped.every((s) => s.file !== fileName || s.line > 0),
    "skipped lines name their line",
  );
  return ok(into);
}
