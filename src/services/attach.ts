// Plugs a ServiceHost into a mirror server's core (paper §5; DESIGN.md
// "Services"): replayed user inputs from the Syn-Server's hook, mirror storage
// from the MirrorServer, notices into the Syn-Server's queue, network inputs
// through the Traffic Monitor (recorded, then forwarded to the phone by the
// runtime). Structural types, so the sim, the live server and tests pass their
// SyncServer / MirrorServer / TrafficMonitor as they are.
import { assert } from "../core/assert.ts";
import type { Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import type { Notice } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";
import type { Fetcher, MirrorStorageView, Outbox } from "./api.ts";
import { ServiceHost } from "./service-host.ts";

type ReplayedEvent = { kind: "user"; input: UserInput } | { kind: "network"; input: NetworkInput };

export interface AttachOptions {
  sync: {
    onReplayedInput(hook: (deviceId: string, event: ReplayedEvent, replayMs: number) => void): void;
    queueNotice(deviceId: string, notice: Notice): Result<void>;
  };
  mirrors: { view(deviceId: string): MirrorStorageView | undefined };
  monitor: { deliver(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput> };
  /** The runtime sends a recorded network input down to the phone (in index order). */
  forwardToPhone(deviceId: string, input: NetworkInput): void;
  sha256: Sha256;
  outbox: Outbox;
  fetcher: Fetcher;
}

/** Returns the host; register services on it (e.g. `host.register((p) => new CachingService(p))`). */
export function attachServices(options: AttachOptions): ServiceHost {
  const host = new ServiceHost({
    sha256: options.sha256,
    outbox: options.outbox,
    fetcher: options.fetcher,
    notices: { queueNotice: (deviceId, notice) => options.sync.queueNotice(deviceId, notice) },
    network: {
      deliver: (deviceId, input) => {
        const recorded = options.monitor.deliver(deviceId, input);
        if (recorded.ok) options.forwardToPhone(deviceId, recorded.value);
        return recorded;
      },
    },
  });
  options.sync.onReplayedInput((deviceId, event, replayMs) => {
    if (event.kind === "user") {
      const storage = options.mirrors.view(deviceId);
      assert(storage !== undefined, `mirror ${deviceId} replayed an input but has no storage`);
      host.replayedInput({ deviceId, input: event.input, storage, nowMs: replayMs });
    } else {
      host.networkInput({ deviceId, input: event.input, nowMs: replayMs });
    }
  });
  return host;
}
