// Storage paths (DESIGN.md "The phone platform"): absolute, "/"-separated,
// validated against the bounds in limits.ts before any tree is touched, so a
// bad path from a peer or a user is a typed error and never a half-done write.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";

/** UTF-8 length of a string; -1 when it holds a lone surrogate (not encodable). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/** Checks one path segment (a file or directory name). */
export function checkName(name: string): Result<string> {
  const bytes = utf8Length(name);
  if (bytes <= 0)
    return fail(ErrorCodes.PATH_INVALID, `Invalid name ${JSON.stringify(name)}: empty or not UTF-8`);
  if (bytes > limits.nameBytesMax) {
    return fail(ErrorCodes.PATH_INVALID, `Invalid name: ${bytes} bytes exceeds ${limits.nameBytesMax}`);
  }
  if (name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    return fail(ErrorCodes.PATH_INVALID, `Invalid name ${JSON.stringify(name)}`);
  }
  return ok(name);
}

/**
 * The segments of a plain ASCII path that passes every check, in one scan;
 * undefined sends the caller to the full checks (non-ASCII, or something to
 * report). Every write parses its path, so this is a hot path.
 */
function asciiSegments(path: string): string[] | undefined {
  if (path.length > limits.pathBytesMax) return undefined;
  const segments: string[] = [];
  let start = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i === path.length ? 47 : path.charCodeAt(i);
    if (c === 0 || c >= 0x80) return undefined;
    if (c !== 47) continue;
    const length = i - start;
    if (length === 0 || length > limits.nameBytesMax) return undefined;
    if (
      path.charCodeAt(start) === 46 &&
      (length === 1 || (length === 2 && path.charCodeAt(start + 1) === 46))
    ) {
      return undefined; // "." or ".."
    }
    if (segments.length === limits.pathDepthMax) return undefined;
    segments.push(path.slice(start, i));
    start = i + 1;
  }
  return segments;
}

/** Splits an absolute path into its segments ("/" gives []). */
export function parsePath(path: string): Result<string[]> {
  if (typeof path === "string" && path.length > 1 && path.charCodeAt(0) === 47) {
    const fast = asciiSegments(path);
    if (fast !== undefined) return ok(fast);
  }
  if (typeof path !== "string" || path[0] !== "/") {
    return fail(ErrorCodes.PATH_INVALID, `Invalid path ${JSON.stringify(path)}: must start with "/"`);
  }
  const bytes = utf8Length(path);
  if (bytes < 0 || bytes > limits.pathBytesMax) {
    return fail(ErrorCodes.PATH_INVALID, `Invalid path: ${bytes} bytes exceeds ${limits.pathBytesMax}`);
  }
  if (path === "/") return ok([]);
  const segments = path.slice(1).split("/");
  if (segments.length > limits.pathDepthMax) {
    return fail(
      ErrorCodes.PATH_INVALID,
      `Invalid path: depth ${segments.length} exceeds ${limits.pathDepthMax}`,
    );
  }
  for (const segment of segments) {
    const checked = checkName(segment);
    if (!checked.ok)
      return fail(ErrorCodes.PATH_INVALID, `Invalid path ${JSON.stringify(path)}: ${checked.error.message}`);
  }
  return ok(segments);
}

/** Appends a name to a directory path. */
export function childPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}
