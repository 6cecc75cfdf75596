// The services' workload in a fleet run (paper §5.1): now and then a phone's
// user shares its largest file with a few recipients (planUpload decides:
// through the mirror, or the phone sends each copy over its own uplink) and,
// with the caching service on, asks the server to cache a URL and later
// fetches the cached file. Draws come from one Rng per phone forked only
// when services are on, so runs without services are unchanged.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { Rng } from "../core/ports.ts";
import { type CachingSettings, cacheAppName, planUpload } from "../services/index.ts";
import type { Fleet } from "./fleet.ts";
import { EventType } from "./sim-events.ts";
import { simEvilMarker } from "./sim-services.ts";

/** Mean time between service actions of one phone. */
export const serviceStepMsMean = 10 * 60_000;
export const simRecipients = ["friend-0", "friend-1", "friend-2", "friend-3", "friend-4"] as const;
const pendingFetchesMax = 8;
/** A small control message on the uplink (URL or cache id plus framing). */
const controlBytes = 32;
const infectedShare = 0.2;

export class ServiceWorkload {
  private readonly rngs = new Map<number, Rng>();
  /** URLs each phone asked the server to cache and has not fetched yet. */
  private readonly pending = new Map<number, string[]>();
  private readonly settings: CachingSettings;
  private downloads = 0;

  constructor(private readonly fleet: Fleet) {
    const services = fleet.server.services;
    assert(services !== undefined, "a service workload needs services");
    for (const to of simRecipients) services.world.addRecipient(to);
    this.settings = {
      enabled: services.cachingOn,
      // Payloads are scaled for fleets; the threshold scales with them.
      bulkUploadThresholdBytes: Math.round(
        limits.bulkUploadThresholdBytesDefault * fleet.options.payloadScale,
      ),
    };
  }

  schedule(phone: number): void {
    const fleet = this.fleet;
    let rng = this.rngs.get(phone);
    if (rng === undefined) {
      rng = fleet.phones[phone]!.rng.fork("services");
      this.rngs.set(phone, rng);
    }
    // A phone's first action comes after it boots (its clock starts there).
    const fromMs = Math.max(fleet.nowMs, fleet.phones[phone]!.startMs);
    const atMs = fromMs + Math.max(1, Math.round(-Math.log(1 - rng.float()) * serviceStepMsMean));
    fleet.schedule(atMs, fleet.event(EventType.service, phone));
  }

  step(phone: number): void {
    const fleet = this.fleet;
    if (fleet.converging) return;
    const rng = this.rngs.get(phone);
    assert(rng !== undefined, "a service step was scheduled");
    if (fleet.phones[phone]!.on && fleet.serverUp) {
      const roll = rng.float();
      const pending = this.pending.get(phone) ?? [];
      if (roll < 0.5) this.share(phone, rng);
      else if (pending.length > 0 && roll < 0.75) this.fetch(phone, pending.shift()!, pending);
      else if (this.settings.enabled && pending.length < pendingFetchesMax)
        this.download(phone, rng, pending);
      this.pending.set(phone, pending);
    }
    this.schedule(phone);
  }

  private share(phone: number, rng: Rng): void {
    const fleet = this.fleet;
    const file = fleet.phones[phone]!.stack.largestFile?.();
    if (file === undefined || file.sizeBytes === 0) return;
    const count = rng.int(1, simRecipients.length);
    const plan = planUpload({ ...file, recipients: simRecipients.slice(0, count) }, this.settings);
    if (!plan.ok) return;
    if (fleet.applyUser(phone, plan.value.input) === undefined) return;
    const counters = fleet.server.services!.counters;
    if (plan.value.decision === "via-mirror") {
      counters.uploadsViaMirror++;
      counters.radioBytesSaved += file.sizeBytes * count;
    } else counters.uploadsDirect++;
    for (const send of plan.value.directSends) fleet.chargeUplink(phone, send.bytes);
  }

  private download(phone: number, rng: Rng, pending: string[]): void {
    const fleet = this.fleet;
    const url = `https://web.test/phone-${phone}/file-${this.downloads++}`;
    const size = Math.max(1, Math.round(rng.int(100_000, 2_000_000) * fleet.options.payloadScale));
    const payload = new Uint8Array(size).fill(phone % 251);
    // One download in five carries a marker of the antivirus's generated database.
    if (rng.float() < infectedShare) payload.set(simEvilMarker(rng.int(0, 15)).subarray(0, size));
    fleet.chargeUplink(phone, url.length + controlBytes);
    const deviceId = fleet.phones[phone]!.stack.deviceId;
    if (fleet.server.services!.requestDownload(deviceId, url, payload, fleet.nowMs)) pending.push(url);
  }

  /** The user fetches a file the server cached (the notice is on the phone); not yet cached: try later. */
  private fetch(phone: number, url: string, pending: string[]): void {
    const fleet = this.fleet;
    const deviceId = fleet.phones[phone]!.stack.deviceId;
    const cacheId = fleet.server.services!.cacheIdOf(deviceId, url);
    if (cacheId === undefined) {
      pending.push(url);
      return;
    }
    const body = { kind: "action" as const, name: "fetch", args: [`id=${cacheId}`] };
    if (fleet.applyUser(phone, { app: cacheAppName, body }) === undefined) return;
    fleet.chargeUplink(phone, cacheId.length + controlBytes);
    fleet.server.services!.fetchCached(deviceId, cacheId, fleet.nowMs);
    fleet.forwardServiceInputs();
  }
}
