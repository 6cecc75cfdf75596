// The RFC 3261 routing rules the CSCF and the user agents share: the host of
// a URI (node ids are hosts on the bus), Via push/pop (§16.6, §16.7), loose
// Route pop (§16.4) and the dialog route set built from Record-Route (§12.1).
import { assert } from "../core/assert.ts";
import { addressUri, type Header, headerListValues, headerParam, splitHeaderList } from "./header-list.ts";
import type { SipMessage } from "./sip-message.ts";

/** `sip:bob@ue2:5060;lr` → `ue2`; `msrp://mirror:2855/s1;tcp` → `mirror`. */
export function uriHost(uri: string): string {
  let rest = uri.replace(/^[a-z]+:(\/\/)?/i, "");
  const at = rest.lastIndexOf("@");
  if (at >= 0) rest = rest.slice(at + 1);
  const end = rest.search(/[:;/?>]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** `sip:bob@ims.example;x` → `sip:bob@ims.example` (the address of record). */
export function uriAor(uri: string): string {
  const semi = uri.indexOf(";");
  return semi < 0 ? uri : uri.slice(0, semi);
}

export function viaHost(via: string): string {
  const sentBy = via.replace(/^SIP\/2\.0\/[A-Z]+\s+/i, "");
  return uriHost(sentBy);
}

export function topVia(message: SipMessage): string {
  const vias = headerListValues(message.headers, "Via");
  assert(vias.length > 0, "message without Via");
  return vias[0]!;
}

/** Adds our Via on top (a proxy forwarding a request). */
export function pushVia(message: SipMessage, host: string, branch: string): SipMessage {
  assert(branch.startsWith("z9hG4bK"), "RFC 3261 branch must start with the magic cookie");
  const via: Header = { name: "Via", value: `SIP/2.0/TCP ${host};branch=${branch}` };
  return { ...message, headers: [via, ...message.headers] };
}

/** Removes the top Via entry (a proxy forwarding a response upstream); undefined if it is not ours. */
export function popVia(message: SipMessage, host: string): SipMessage | undefined {
  if (viaHost(topVia(message)) !== host) return undefined;
  return { ...message, headers: removeFirstListEntry(message.headers, "Via") };
}

/** A proxy relays a response (RFC 3261 §16.7): drop its own Via, send to the next Via's host. */
export function relayResponse(
  message: SipMessage,
  self: string,
  send: (host: string, message: SipMessage) => void,
): void {
  const upstream = popVia(message, self);
  if (upstream) send(viaHost(topVia(upstream)), upstream);
}

export function routeEntries(message: SipMessage): string[] {
  return headerListValues(message.headers, "Route");
}

/** Removes the first Route entry when it names `host` (loose routing). */
export function popOwnRoute(
  message: SipMessage,
  host: string,
): { message: SipMessage; params: string } | undefined {
  const routes = routeEntries(message);
  if (routes.length === 0 || uriHost(addressUri(routes[0]!)) !== host) return undefined;
  return {
    message: { ...message, headers: removeFirstListEntry(message.headers, "Route") },
    params: addressUri(routes[0]!),
  };
}

export function withRoutes(headers: readonly Header[], routes: readonly string[]): Header[] {
  const kept = headers.filter((h) => h.name !== "Route");
  const at = Math.max(1, kept.findIndex((h) => h.name === "Max-Forwards") + 1);
  return [...kept.slice(0, at), ...routes.map((value) => ({ name: "Route", value })), ...kept.slice(at)];
}

export function addRecordRoute(message: SipMessage, host: string): SipMessage {
  return { ...message, headers: [{ name: "Record-Route", value: `<sip:${host};lr>` }, ...message.headers] };
}

/** Route set of a dialog from a 2xx (UAC: reversed) or from the request (UAS: as is). */
export function routeSet(message: SipMessage, side: "uac" | "uas"): string[] {
  const records = headerListValues(message.headers, "Record-Route");
  return side === "uac" ? records.reverse() : records;
}

export function decrementMaxForwards(message: SipMessage): SipMessage | undefined {
  const headers: Header[] = [];
  let ok = true;
  for (const header of message.headers) {
    if (header.name !== "Max-Forwards") headers.push(header);
    else {
      const value = Number(header.value);
      if (!Number.isInteger(value) || value <= 0) ok = false;
      headers.push({ name: "Max-Forwards", value: String(value - 1) });
    }
  }
  return ok ? { ...message, headers } : undefined;
}

export function tagOf(headerValue: string | undefined): string | undefined {
  return headerValue === undefined
    ? undefined
    : headerParam(headerValue.slice(headerValue.lastIndexOf(">") + 1), "tag");
}

function removeFirstListEntry(headers: readonly Header[], name: string): Header[] {
  const out: Header[] = [];
  let removed = false;
  for (const header of headers) {
    if (removed || header.name !== name) {
      out.push(header);
      continue;
    }
    removed = true;
    const rest = splitHeaderList(header.value).slice(1);
    if (rest.length > 0) out.push({ name, value: rest.join(", ") });
  }
  assert(removed, `no ${name} to remove`);
  return out;
}
