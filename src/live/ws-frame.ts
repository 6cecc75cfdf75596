// Server-to-phone WebSocket frames written straight to the upgraded socket
// (issue 5: the live server's ack path). ws's own send of a small message
// corks the socket, writes a header and the payload as two chunks and
// uncorks into a writev (perf, bench live-ingest: ~30 µs of JS per commit at
// one phone, ~3 µs per batch at 100); one pre-framed buffer is one write.
// RFC 6455 §5.2: FIN, opcode 2 (binary), server frames unmasked.
import type { Duplex } from "node:stream";
import { assert } from "../core/assert.ts";

/** Largest payload framed here (a copy, 16-bit length); larger ones go through ws.send, which does not copy. */
export const directFrameBytesMax = 0xffff;

/** The whole frame of a binary message: header (2 or 4 bytes) + payload. */
export function wsBinaryFrame(payload: Uint8Array): Buffer {
  const length = payload.length;
  assert(length <= directFrameBytesMax, "a direct frame is small");
  const header = length <= 125 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x82;
  if (header === 2) {
    frame[1] = length;
  } else {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  }
  frame.set(payload, header);
  assert(frame.length === header + length, "frame length");
  return frame;
}

/**
 * Writes a binary message to the socket ws serves: the same bytes ws.send
 * would put on the wire. Only while the ws is OPEN and without
 * permessage-deflate (the endpoint turns it off): then ws writes each of its
 * own frames synchronously too, so frames keep their order, and its
 * bufferedAmount counts what waits in the socket.
 */
export function writeBinaryFrame(socket: Duplex, payload: Uint8Array): void {
  socket.write(wsBinaryFrame(payload));
}
