// The core's frame codec (src/sync/frame.ts) in the shape the live sockets use.
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../sync/frame.ts";
import type { FrameCodec } from "./sync-session.ts";

export const liveFrameCodec: FrameCodec = {
  version: PROTOCOL_VERSION,
  encode: encodeFrame,
  decode: decodeFrame,
};
