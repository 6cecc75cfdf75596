// Headers by which a phone's network stack labels proxied requests, and by
// which the Traffic Monitor proxy labels what it delivers (paper Fig 9: the
// SGSN sends the phone's non-session traffic through the mirror server).
// A real deployment would infer app/kind from the flow; here the phone says
// which app asked, so the platform can route the response.
import { Buffer } from "node:buffer";
import { limits } from "../core/limits.ts";
import { type AppName, appNames, type NetworkInput } from "../platform/inputs.ts";

export const headerApp = "x-mirrorcell-app";
export const headerKind = "x-mirrorcell-kind";
export const headerArgs = "x-mirrorcell-args";
export const headerIndex = "x-mirrorcell-network-index";
export const headerTime = "x-mirrorcell-network-time-ms";
/** Host name the proxy answers itself: redelivery of recorded inputs. */
export const proxySelfHost = "mirrorcell.proxy";

/** The app input a proxied request asks for, or a delivery carries. */
export interface InputLabel {
  app: AppName;
  kind: string;
  args: readonly string[];
}

type Headers = Record<string, string | string[] | undefined>;

/** The label headers of a request (the phone's side) or a delivery (the proxy's). */
export function labelHeaders(label: InputLabel): Record<string, string> {
  return { [headerApp]: label.app, [headerKind]: label.kind, [headerArgs]: JSON.stringify(label.args) };
}

/** A recorded input's headers as the proxy delivers it: its index and time, then its label. */
export function deliveryHeaders(input: NetworkInput): Record<string, string> {
  return { [headerIndex]: String(input.index), [headerTime]: String(input.timeMs), ...labelHeaders(input) };
}

/** The label read back from headers; undefined when the app, kind or args header is missing or malformed. */
export function readLabelHeaders(headers: Headers): (InputLabel & { args: string[] }) | undefined {
  const app = headers[headerApp];
  const kind = headers[headerKind];
  const args = parseArgsHeader(headers[headerArgs] as string | undefined);
  if (!isAppName(app) || typeof kind !== "string" || args === undefined) return undefined;
  return { app, kind, args };
}

export function basicProxyAuth(deviceId: string, keyHex: string): string {
  return `Basic ${Buffer.from(`${deviceId}:${keyHex}`).toString("base64")}`;
}

export function parseBasicProxyAuth(
  header: string | undefined,
): { deviceId: string; keyHex: string } | undefined {
  if (header === undefined || !header.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { deviceId: decoded.slice(0, colon), keyHex: decoded.slice(colon + 1) };
}

export function isAppName(value: unknown): value is AppName {
  return typeof value === "string" && (appNames as readonly string[]).includes(value);
}

/** Parses the JSON args header: an array of at most actionArgsMax short strings. */
export function parseArgsHeader(value: string | undefined): string[] | undefined {
  if (value === undefined || value === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length > limits.actionArgsMax) return undefined;
  for (const arg of parsed) {
    if (typeof arg !== "string" || arg.length > limits.actionArgBytesMax) return undefined;
  }
  return parsed as string[];
}
