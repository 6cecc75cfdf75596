// Header lists shared by the SIP, HTTP and MSRP message models: ordered
// name/value pairs, case-insensitive lookup, and the comma-list splitting
// that RFC 3261 §7.3.1 allows for Via, Route and Record-Route.
import { assert } from "../core/assert.ts";

export interface Header {
  readonly name: string;
  readonly value: string;
}

const tokenPattern = /^[A-Za-z0-9!%*+\-.^_`|~']+$/;

export function isToken(text: string): boolean {
  return tokenPattern.test(text);
}

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const header of headers) if (header.name.toLowerCase() === wanted) return header.value;
  return undefined;
}

export function headerValues(headers: readonly Header[], name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const header of headers) if (header.name.toLowerCase() === wanted) out.push(header.value);
  return out;
}

export function withoutHeader(headers: readonly Header[], name: string): Header[] {
  const unwanted = name.toLowerCase();
  return headers.filter((header) => header.name.toLowerCase() !== unwanted);
}

/** Splits `a, "b,c", <sip:d,e>` at top-level commas (outside quotes and angle brackets). */
export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== "\\") quoted = !quoted;
    else if (!quoted && ch === "<") depth++;
    else if (!quoted && ch === ">") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ",") {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  assert(parts.length >= 1, "split produced nothing");
  return parts.filter((part) => part !== "");
}

/** Every value of a list header, in order, one element per comma-separated entry. */
export function headerListValues(headers: readonly Header[], name: string): string[] {
  return headerValues(headers, name).flatMap(splitHeaderList);
}

/** Value of `;name=value` in a header parameter list, or undefined. */
export function headerParam(value: string, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const part of value.split(";").slice(1)) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (key === wanted) return eq < 0 ? "" : part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The URI inside `"Name" <uri>;params` or a bare `uri;params`. */
export function addressUri(value: string): string {
  const open = value.indexOf("<");
  if (open >= 0) {
    const close = value.indexOf(">", open);
    return close > open ? value.slice(open + 1, close) : value.slice(open + 1);
  }
  const semi = value.indexOf(";");
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}
