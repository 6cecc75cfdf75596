// The Traffic Monitor (paper §3.1, §3.3.1; DESIGN.md "Sync protocol"): every
// network input delivered to a subscribed phone passes through it and is
// recorded per device, in delivery order, so the phone never uploads what the
// network gave it. Payloads go to the blob store, deduplicated fleet-wide.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { BlobStore } from "../mirror/blob-store.ts";
import type { MirrorServer } from "../mirror/mirror-server.ts";
import { appNames, type NetworkInput } from "../platform/inputs.ts";

export type NetworkInputHook = (deviceId: string, input: NetworkInput) => void;

export class TrafficMonitor {
  private readonly blobs: BlobStore;
  private readonly hooks: NetworkInputHook[] = [];
  private recordedCount = 0;
  private recordedBytes = 0;

  constructor(
    private readonly mirrors: MirrorServer,
    sha256: (data: Uint8Array) => Uint8Array,
  ) {
    this.blobs = new BlobStore(mirrors.store, sha256);
  }

  /** Service hook: called for every recorded network input (caching, antivirus). */
  onNetworkInput(hook: NetworkInputHook): void {
    this.hooks.push(hook);
  }

  /**
   * Records a network input on its way to the phone and returns it with its
   * index; the runtime delivers exactly this to the phone, in index order.
   */
  deliver(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput> {
    const store = this.mirrors.store;
    if (store.getDevice(deviceId) === undefined)
      return fail(ErrorCodes.DEVICE_UNKNOWN, `Unknown device ${deviceId}`);
    if (!appNames.includes(input.app)) return fail(ErrorCodes.APP_UNKNOWN, `Unknown app ${input.app}`);
    if (input.payload.length > limits.networkPayloadBytesMax) {
      return fail(ErrorCodes.PAYLOAD_TOO_LARGE, `Network payload of ${input.payload.length} bytes`);
    }
    if (!Number.isSafeInteger(input.timeMs) || input.timeMs < 0) {
      return fail(ErrorCodes.INPUT_MALFORMED, `Network input time ${input.timeMs} invalid`);
    }
    const index = Math.max(store.networkCount(deviceId), this.mirrors.networkBase(deviceId)) + 1;
    // One literal shape, not a spread of the caller's object (a slow clone per input in perf).
    const recorded: NetworkInput = {
      index,
      timeMs: input.timeMs,
      app: input.app,
      kind: input.kind,
      args: input.args.slice(),
      payload: input.payload,
    };
    store.transaction(() => {
      const payloadSha256 = this.blobs.add(input.payload);
      store.appendNetworkInput(deviceId, {
        index,
        timeMs: input.timeMs,
        app: input.app,
        kind: input.kind,
        args: recorded.args,
        payloadSha256,
        size: input.payload.length,
      });
    });
    assert(store.networkCount(deviceId) === index, "network log did not advance");
    this.recordedCount++;
    this.recordedBytes += input.payload.length;
    for (const hook of this.hooks) hook(deviceId, recorded);
    return ok(recorded);
  }

  /** Whether input `index` is in the device's log: replay's availability check, with no payload look-up. */
  isRecorded(deviceId: string, index: number): boolean {
    return this.mirrors.store.hasNetworkInput(deviceId, index);
  }

  /** A recorded network input, rebuilt from the log and the blob store (replay). */
  recorded(deviceId: string, index: number): NetworkInput | undefined {
    const record = this.mirrors.store.getNetworkInput(deviceId, index);
    if (record === undefined) return undefined;
    const payload = this.blobs.get(record.payloadSha256);
    assert(payload !== undefined, `payload of network input ${index} missing from the blob store`);
    return { index, timeMs: record.timeMs, app: record.app, kind: record.kind, args: record.args, payload };
  }

  stats(): { recorded: number; payloadBytes: number; blobs: number; blobBytes: number } {
    const blobStats = this.blobs.stats();
    return {
      recorded: this.recordedCount,
      payloadBytes: this.recordedBytes,
      blobs: blobStats.blobs,
      blobBytes: blobStats.bytes,
    };
  }
}
