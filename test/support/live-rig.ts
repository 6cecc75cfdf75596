// The loopback live tests' shared setup (issue 5): a test server on a fresh
// data dir with its devices enrolled, phone lives (with or without a durable
// phone store) that the rig closes even when an assertion fails, and the
// checks every such test ends with (power-off replayed, mirror == phone,
// divergence metric). Tests keep only what their spec is about.
import assert from "node:assert/strict";
import type { ContentOrigin } from "../../src/live/content-origin.ts";
import type { LiveCore } from "../../src/live/live-core.ts";
import {
  compareWithMirror,
  enrollDevices,
  type PhoneFleetOptions,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "../../src/live/live-harness.ts";
import type { LiveServer } from "../../src/live/live-server.ts";
import type { PhoneRuntime } from "../../src/live/phone-runtime.ts";
import { PhoneStore } from "../../src/live/phone-state.ts";
import { nodeSha256 } from "../../src/node/sha256.ts";

/** A fleet's workload and hooks: everything but where it connects and with which keys. */
export type PhoneShape = Omit<PhoneFleetOptions, "syncUrl" | "proxyUrl" | "keys" | "stores">;

type ServerOptions = Parameters<typeof startTestServer>[1];

/** Phones started together, with their content origin; `close` is safe to call twice. */
export interface PhoneFleet {
  phones: PhoneRuntime[];
  origin: ContentOrigin;
  /** Each phone's durable store, when the fleet was booted from phone data dirs. */
  stores: PhoneStore[];
  /** Per store: it held a committed state at boot (a later life), not a first boot. */
  restored: boolean[];
  close(): Promise<void>;
}

/** Where a fleet connects: an in-process LiveServer or a `mirrorcell serve` child (ServerProcess). */
export type FleetServer = Pick<LiveServer, "syncUrl" | "proxyUrl">;

/** Starts `keys`' phones against `server`; with `phoneDir`, the single phone boots from (and commits to) it. */
export async function startFleet(
  server: FleetServer,
  keys: Map<string, Uint8Array>,
  shape: PhoneShape,
  phoneDir?: string,
): Promise<PhoneFleet> {
  assert.ok(phoneDir === undefined || keys.size === 1, "one phone data dir serves one phone");
  const stores = phoneDir === undefined ? [] : [PhoneStore.open(phoneDir, nodeSha256)];
  const restored = stores.map((store) => store.load() !== undefined);
  const { phones, origin } = await startPhones({
    ...shape,
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    stores: phoneDir === undefined ? undefined : new Map([[[...keys.keys()][0]!, stores[0]!]]),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const phone of phones) await phone.close();
    await origin.close();
    for (const store of stores) store.close();
  };
  return { phones, origin, stores, restored, close };
}

/**
 * A test server on a fresh data dir with `deviceIds` enrolled. Every fleet it
 * starts, and the server itself, are closed by `close` (a failed assertion
 * must not leave a phone reconnecting forever: it keeps the test alive).
 */
export class LiveRig {
  private readonly fleets: PhoneFleet[] = [];

  private constructor(
    readonly data: { dir: string; remove(): void },
    public server: LiveServer,
    readonly keys: Map<string, Uint8Array>,
  ) {}

  static async start(label: string, deviceIds: readonly string[], options?: ServerOptions): Promise<LiveRig> {
    const data = tempDataDir(label);
    const server = await startTestServer(data.dir, options);
    return new LiveRig(data, server, enrollDevices(data.dir, deviceIds));
  }

  keyOf(deviceId: string): Uint8Array {
    const key = this.keys.get(deviceId);
    assert.ok(key !== undefined, `${deviceId} is enrolled in this rig`);
    return key;
  }

  /** Every enrolled device's phone. */
  async startPhones(shape: PhoneShape): Promise<PhoneFleet> {
    const fleet = await startFleet(this.server, this.keys, shape);
    this.fleets.push(fleet);
    return fleet;
  }

  /** One device's phone; with `phoneDir` it boots from that phone data dir (a later life continues it). */
  async bootPhone(
    deviceId: string,
    shape: PhoneShape,
    phoneDir?: string,
  ): Promise<{ phone: PhoneRuntime; store?: PhoneStore; fleet: PhoneFleet }> {
    const fleet = await startFleet(this.server, new Map([[deviceId, this.keyOf(deviceId)]]), shape, phoneDir);
    this.fleets.push(fleet);
    return { phone: fleet.phones[0]!, store: fleet.stores[0], fleet };
  }

  /** Closes the server and starts it again on the same data dir (and ports, so phones reconnect). */
  async restartServer(): Promise<LiveServer> {
    const ports = {
      port: Number(new URL(this.server.httpUrl).port),
      proxyPort: Number(new URL(this.server.proxyUrl!).port),
    };
    await this.server.close();
    this.server = await startTestServer(this.data.dir, ports);
    return this.server;
  }

  async close(): Promise<void> {
    for (const fleet of this.fleets) await fleet.close();
    await this.server.close();
    this.data.remove();
  }
}

/** Powers the phone off and waits until its mirror replayed that last batch, saved and stopped. */
export async function powerOffReplayed(phone: PhoneRuntime, core: LiveCore, timeoutMs = 10_000) {
  const id = phone.core.deviceId;
  assert.ok(
    await phone.powerOff(timeoutMs),
    `${id}: power-off acked; errors: ${JSON.stringify(phone.errors)}`,
  );
  // Stopped is not enough: a mirror stopped in a former life is loaded again only by the next replay.
  const replayed = () => {
    const view = core.mirror(id);
    return view?.state === "stopped" && view.appliedBatchNo === phone.core.batchesMade;
  };
  assert.ok(
    await waitFor(replayed, timeoutMs),
    `${id}: the power-off batch replayed: mirror saved and stopped`,
  );
}

/** The mirror equals its phone file by file, and the phone saw no server error. */
export function assertMirrorEqualsPhone(phone: PhoneRuntime, core: LiveCore, context: string): void {
  assert.deepEqual(compareWithMirror(phone, core), [], `mirror == phone, ${context}`);
  assert.deepEqual(phone.errors, [], `${phone.core.deviceId}: no server error, ${context}`);
}

/** The server's Prometheus text. */
export async function metricsOf(server: LiveServer): Promise<string> {
  return (await fetch(`${server.httpUrl}/metrics`)).text();
}

export async function assertNoDivergence(server: LiveServer): Promise<void> {
  assert.match(await metricsOf(server), /^mirrorcell_divergences_total 0$/m);
}

/** Lets the phones run (their workload makes inputs and batches) for `ms`. */
export function runFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
