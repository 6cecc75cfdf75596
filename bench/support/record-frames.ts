// One phone's batch frames for the live servers' in-process A/B benches
// (live-intake-ab, live-endpoint-ab): the real platform and SyncClient,
// 30 events per 1 s window, windows a day ahead so nothing is due for replay.

import { LivePhoneCore } from "../../src/live/phone-core-adapter.ts";
import { nodeSha256 } from "../../src/node/sha256.ts";
import { levelKeyFromDeviceKey } from "../../src/platform/key-level.ts";
import { ackFrame, encodeFrame } from "../../src/sync/frame.ts";

const dayMs = 86_400_000;

/** The first `batches` batch frames of a phone enrolled with `key`, each acked as it is kept. */
export function recordFrames(key: Uint8Array, batches: number): Uint8Array[] {
  let t = Date.now() + dayMs;
  const phone = new LivePhoneCore({
    deviceId: "bench",
    model: "pixel",
    sha256: nodeSha256,
    clock: { nowMs: () => t },
    seed: 9,
    levelKey: levelKeyFromDeviceKey(key, nodeSha256),
    eventsPerSecond: 30,
    networkPerSecond: 0,
    syncIntervalMs: 1000,
    sizeScale: 0.01,
  });
  const frames: Uint8Array[] = [];
  const keep = (bytes: Uint8Array) => {
    if (frames.length >= batches) return;
    frames.push(bytes);
    phone.receive(encodeFrame(ackFrame("bench", frames.length)), t);
  };
  phone.onConnect(t).forEach(keep);
  while (frames.length < batches) {
    t += 1000;
    for (const bytes of [...phone.runWorkload(t).frames, ...phone.tick(t)]) keep(bytes);
  }
  return frames;
}
