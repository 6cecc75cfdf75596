// The core's frame codec (src/sync/frame.ts) in the shape the live sockets
// use. Acks go out through the core's hand-written path (ackFrameBytes, from
// SyncServer.markDurable); a batch frame's SyncBatch bytes as they arrived
// come from the core's batchMessageView (src/sync/frame-batch-wire.ts).
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../sync/frame.ts";
import type { FrameCodec } from "./sync-session.ts";

export const liveFrameCodec: FrameCodec = {
  version: PROTOCOL_VERSION,
  encode: encodeFrame,
  decode: decodeFrame,
};
