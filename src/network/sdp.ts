// The SDP (RFC 4566) offer/answer for a session-mode message (RFC 4975 §8.1,
// RFC 6135 for a=setup): one `m=message` line and the MSRP path. Only what
// the flows need: build an offer or answer, read the peer's a=path.
import { fromUtf8, utf8 } from "../core/bytes.ts";

export function sdpForMsrp(options: {
  user: string;
  host: string;
  path: string;
  setup: "active" | "actpass";
  acceptTypes: string;
}): Uint8Array {
  return utf8(
    [
      "v=0",
      `o=${options.user} 1 1 IN IP4 ${options.host}`,
      "s=-",
      `c=IN IP4 ${options.host}`,
      "t=0 0",
      "m=message 2855 TCP/MSRP *",
      `a=accept-types:${options.acceptTypes}`,
      `a=path:${options.path}`,
      `a=setup:${options.setup}`,
      "",
    ].join("\r\n"),
  );
}

/** The a=path attribute of an SDP body, or undefined. */
export function sdpMsrpPath(body: Uint8Array): string | undefined {
  const text = fromUtf8(body);
  if (text === undefined) return undefined;
  const line = text.split("\r\n").find((l) => l.startsWith("a=path:"));
  return line?.slice("a=path:".length).trim();
}
