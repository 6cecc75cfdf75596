// Core-network signaling between HSS, CSCF and SGSN: Cx (CSCF↔HSS, TS 29.228)
// location/profile queries and the HSS→SGSN Insert-Subscriber-Data update,
// plus the SGSN→CSCF user-policy query the paper describes (§4.1). Real
// Diameter is binary AVPs; here each command is a text start line with one
// `AVP-Name: value` line per AVP, which keeps traces readable while still
// being serialized, parsed and bounded like every other message on the bus.
import { assert } from "../core/assert.ts";
import { utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { NodeContext, NodeId } from "./bus.ts";
import { HeadParser } from "./head-parser.ts";
import { type Header, headerValue, isToken } from "./header-list.ts";

export const signalingCommands = [
  "Location-Info-Request",
  "Location-Info-Answer",
  "Server-Assignment-Request",
  "Server-Assignment-Answer",
  "Insert-Subscriber-Data-Request",
  "Insert-Subscriber-Data-Answer",
  "User-Policy-Request",
  "User-Policy-Answer",
] as const;

export type SignalingCommand = (typeof signalingCommands)[number];

export interface SignalingMessage {
  readonly command: SignalingCommand;
  readonly avps: readonly Header[];
}

export function serializeSignaling(message: SignalingMessage): Uint8Array {
  let text = `DIAMETER ${message.command}\r\n`;
  for (const { name, value } of message.avps) {
    assert(isToken(name) && !/[\r\n]/.test(value) && value === value.trim(), `bad AVP ${name}`);
    text += `${name}: ${value}\r\n`;
  }
  return utf8(`${text}\r\n`);
}

export function parseSignaling(bytes: Uint8Array): Result<SignalingMessage> {
  const parser = new HeadParser({
    protocol: "signaling",
    malformedCode: ErrorCodes.SIGNALING_MALFORMED,
    messageBytesMax: limits.signalingMessageBytesMax,
    headerLineBytesMax: limits.sipHeaderLineBytesMax,
    headersMax: limits.sipHeadersMax,
    canonicalName: (name) => name,
    bodyLength: () => ok(0),
  });
  const raw = parser.feed(bytes);
  if (!raw.ok) return raw;
  const end = parser.finish();
  if (!end.ok) return end;
  const only = raw.value[0];
  const command = only?.startLine.replace(/^DIAMETER /, "");
  if (raw.value.length !== 1 || !only?.startLine.startsWith("DIAMETER ")) {
    return fail(
      ErrorCodes.SIGNALING_MALFORMED,
      "Cannot parse signaling message: expected one DIAMETER command",
    );
  }
  if (!(signalingCommands as readonly string[]).includes(command!)) {
    return fail(ErrorCodes.SIGNALING_MALFORMED, `Cannot parse signaling message: unknown command ${command}`);
  }
  return ok({ command: command as SignalingCommand, avps: only.headers });
}

export function avp(message: SignalingMessage, name: string): string | undefined {
  return headerValue(message.avps, name);
}

/** Sends one command from node `from` (its IP endpoint) to `to` as one packet. */
export function sendSignaling(
  context: NodeContext,
  from: NodeId,
  to: NodeId,
  message: SignalingMessage,
): void {
  context.send(to, {
    src: from,
    dst: to,
    protocol: "signaling",
    bytes: serializeSignaling(message),
    label: message.command,
  });
}
