// The loopback tests that run `mirrorcell serve` as a child process (issue 5:
// kill -9 crash tests, the served services of issues 7 and 8) share this
// setup: a fresh data dir with the devices enrolled before the server starts,
// the server on free ports, and phone fleets the rig closes with the server
// even when an assertion fails (a phone left reconnecting keeps the test alive).
import assert from "node:assert/strict";
import { enrollDevices, tempDataDir, testAdminToken } from "../../src/live/live-harness.ts";
import {
  freePort,
  prepareServer,
  type ServerProcess,
  type ServerProcessOptions,
} from "../../src/live/server-process.ts";
import { type PhoneFleet, type PhoneShape, startFleet } from "./live-rig.ts";

export interface ServedRigOptions {
  syncNormal?: boolean;
  /** More `serve` arguments; a function when they name files it puts in the data dir first. */
  serveArgs?: readonly string[] | ((dataDir: string) => readonly string[]);
}

export class ServedRig {
  private readonly fleets: PhoneFleet[] = [];

  private constructor(
    readonly data: { dir: string; remove(): void },
    /** What the server was started with: a successor (prepareServer) takes the same data dir and ports. */
    readonly options: ServerProcessOptions,
    public server: ServerProcess,
    readonly keys: Map<string, Uint8Array>,
  ) {}

  static async start(label: string, deviceIds: readonly string[], options: ServedRigOptions = {}) {
    const data = tempDataDir(label);
    const keys = enrollDevices(data.dir, deviceIds);
    const serveArgs =
      typeof options.serveArgs === "function" ? options.serveArgs(data.dir) : options.serveArgs;
    const serverOptions: ServerProcessOptions = {
      dataDir: data.dir,
      port: await freePort(),
      proxyPort: await freePort(),
      adminToken: testAdminToken,
      syncNormal: options.syncNormal,
      serveArgs,
    };
    const server = await (await prepareServer(serverOptions)).start();
    return new ServedRig(data, serverOptions, server, keys);
  }

  /** Every enrolled device's phone. */
  async startPhones(shape: PhoneShape): Promise<PhoneFleet> {
    const fleet = await startFleet(this.server, this.keys, shape);
    this.fleets.push(fleet);
    return fleet;
  }

  /** One enrolled device's phone. */
  async bootPhone(deviceId: string, shape: PhoneShape): Promise<PhoneFleet> {
    const key = this.keys.get(deviceId);
    assert.ok(key !== undefined, `${deviceId} is enrolled in this rig`);
    const fleet = await startFleet(this.server, new Map([[deviceId, key]]), shape);
    this.fleets.push(fleet);
    return fleet;
  }

  /** Closes the fleets, stops the server with SIGTERM and removes the data dir; the server's exit code. */
  async close(): Promise<number | null> {
    for (const fleet of this.fleets) await fleet.close();
    const exitCode = await this.server.stop();
    this.data.remove();
    return exitCode;
  }
}
