// A phone platform and its Syn-Client on a virtual clock the test moves by
// hand (`clock.timeMs`): the shared set-up of the SyncClient unit tests.
import { SeededRng } from "../../src/core/rng.ts";
import { exportUiState } from "../../src/mirror/index.ts";
import { nodeSha256 } from "../../src/node/index.ts";
import { Platform, publicLevelKey, Storage, seededNondet } from "../../src/platform/index.ts";
import { SyncClient } from "../../src/sync/sync-client.ts";

export interface PhoneClientOptions {
  seed: number;
  syncIntervalMs: number;
  retransmitMs: number;
  /** Hand the client the platform's UI state for repairs (as runtimes do). */
  withUiState: boolean;
}

export function phoneClient(options: PhoneClientOptions) {
  const clock = { timeMs: 0, nowMs: () => clock.timeMs };
  const platform = Platform.create({
    mode: "phone",
    deviceId: "d",
    model: "pixel",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
    nondet: seededNondet({ rng: new SeededRng(options.seed), clock, cameraBytes: 16 }),
  });
  const client = new SyncClient({
    deviceId: "d",
    platform,
    snapshot: () => Storage.fromSnapshot(platform.storage.snapshot(), nodeSha256),
    ...(options.withUiState ? { volatileState: () => exportUiState(platform) } : {}),
    sha256: nodeSha256,
    syncIntervalMs: options.syncIntervalMs,
    startMs: 0,
    retransmitMs: options.retransmitMs,
  });
  client.onConnect(0);
  return { clock, platform, client };
}
