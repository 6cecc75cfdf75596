// The mirror server's services inside the simulator (paper §5; issues 7, 8):
// a ServiceHost per server boot with the caching service over one in-memory
// outside world (recipients, web) and the antivirus mirror service with a
// small generated signature database, on the fly. The outside world and the
// counters survive a crash; the host and its services are volatile and are
// re-attached to the rebuilt core on restart. What the Outbox sends goes to
// recipients outside the fleet: the sanctioned exception to invariant 5 (a
// service's own output, not a mirror app's), so it never becomes a frame.
import { createHash } from "node:crypto";
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import type { MirrorServer } from "../mirror/index.ts";
import { nodeHashFactory } from "../node/hash-factory.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import {
  AntivirusMirrorService,
  AntivirusService,
  compileDatabase,
  DatabaseHolder,
  emptyParsedDatabase,
  parseDatabaseText,
} from "../services/antivirus/index.ts";
import {
  attachServices,
  CachingService,
  defaultCachingPolicy,
  MemoryWorld,
  type ServiceHost,
} from "../services/index.ts";
import type { SyncServer, TrafficMonitor } from "../sync/index.ts";
import type { ServicesMode } from "./options.ts";

export interface ServiceCounters {
  uploadsViaMirror: number;
  uploadsDirect: number;
  /** Radio payload bytes a mirror upload saved: size × recipients the phone did not send itself. */
  radioBytesSaved: number;
  downloadsRequested: number;
  cachedDownloads: number;
  fetchesRefused: number;
  scanRequests: number;
  detections: number;
}

/** The byte run body signature `i` (0..15) of the generated database matches. */
export function simEvilMarker(i: number): Uint8Array {
  assert(Number.isInteger(i) && i >= 0 && i < 16, `no marker ${i}`);
  return new TextEncoder().encode(`MIRRORCELL-SIM-EVIL-${i.toString().padStart(2, "0")}`);
}

/** A small generated database: 16 body signatures (markers some simulated downloads carry), one hash signature. */
function generatedEngine() {
  const parsed = emptyParsedDatabase();
  const lines: string[] = [];
  for (let i = 0; i < 16; i++) {
    const marker = simEvilMarker(i);
    lines.push(`Sim.Evil.${i}:0:*:${[...marker].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
  }
  assert(
    parseDatabaseText("sim.ndb", `${lines.join("\n")}\n`, parsed).ok,
    "the generated body database parses",
  );
  const md5 = createHash("md5").update("mirrorcell sim known-bad").digest("hex");
  assert(
    parseDatabaseText("sim.hdb", `${md5}:24:Sim.Evil.Hash\n`, parsed).ok,
    "the generated hash database parses",
  );
  const compiled = compileDatabase(parsed, "sim-db-1");
  assert(compiled.ok, "the generated database compiles");
  return compiled.value;
}

export interface CoreObjects {
  sync: SyncServer;
  mirrors: MirrorServer;
  monitor: TrafficMonitor;
}

export class SimServices {
  readonly world = new MemoryWorld();
  readonly counters: ServiceCounters = {
    uploadsViaMirror: 0,
    uploadsDirect: 0,
    radioBytesSaved: 0,
    downloadsRequested: 0,
    cachedDownloads: 0,
    fetchesRefused: 0,
    scanRequests: 0,
    detections: 0,
  };
  /** Network inputs the services recorded, for the fleet to carry down to the phones. */
  private outgoing: { deviceId: string; input: NetworkInput }[] = [];
  private host: ServiceHost | undefined;
  private caching: CachingService | undefined;
  private av: AntivirusMirrorService | undefined;
  private readonly avService: AntivirusService | undefined;
  private readonly carried = { scanRequests: 0, detections: 0 };

  constructor(
    readonly mode: ServicesMode,
    private readonly sha256: Sha256,
  ) {
    assert(mode !== "none", "no services, no hub");
    if (this.antivirusOn) {
      this.avService = new AntivirusService({
        database: new DatabaseHolder(generatedEngine()),
        hash: nodeHashFactory,
      });
    }
  }

  get cachingOn(): boolean {
    return this.mode === "caching" || this.mode === "all";
  }

  get antivirusOn(): boolean {
    return this.mode === "antivirus" || this.mode === "all";
  }

  /** Called on every boot of the server core (first start and each restart). */
  attach(core: CoreObjects): void {
    assert(this.world.pending() === 0, "the outside world finished every send before the crash");
    const host = attachServices({
      ...core,
      forwardToPhone: (deviceId, input) => this.outgoing.push({ deviceId, input }),
      sha256: this.sha256,
      outbox: this.world,
      fetcher: this.world,
    });
    this.host = host;
    this.caching = this.cachingOn
      ? host.register((p) => new CachingService(p, defaultCachingPolicy))
      : undefined;
    this.av = undefined;
    const avService = this.avService;
    if (avService !== undefined) {
      const av = host.register(
        (p) =>
          new AntivirusMirrorService(p, {
            service: avService,
            storageOf: (id) => core.mirrors.view(id),
            onTheFly: true,
          }),
      );
      // The host forwards only user replays; network inputs write files too.
      core.sync.onReplayedInput((id, e, ms) =>
        av.replayed(id, ms, e.kind === "user" ? e.input.app : undefined),
      );
      this.av = av;
    }
  }

  /** The server crashed: the host and its services are gone; keep what they counted. */
  detach(): void {
    if (this.av !== undefined) {
      this.carried.scanRequests += this.av.requestsAnswered;
      this.carried.detections += this.av.onTheFlyAlerts;
    }
    this.host = this.caching = this.av = undefined;
  }

  /** Timers and the outside world's completions, after each server step. */
  pump(nowMs: number): void {
    const host = this.host;
    if (host === undefined) return;
    host.tick(nowMs);
    this.world.flush(host, nowMs);
  }

  nextDueMs(): number | undefined {
    return this.host?.nextDueMs();
  }

  /** The phone asks the server to cache a URL; the page exists in the simulated web. */
  requestDownload(deviceId: string, url: string, payload: Uint8Array, nowMs: number): boolean {
    if (this.caching === undefined) return false;
    this.world.publish(url, payload);
    const requested = this.caching.requestDownload(deviceId, url, nowMs);
    if (requested.ok) this.counters.downloadsRequested++;
    return requested.ok;
  }

  /** The cache id of a URL once the server has it (its notice went to the phone). */
  cacheIdOf(deviceId: string, url: string): string | undefined {
    return this.caching?.cachedFiles(deviceId).find((entry) => entry.url === url)?.cacheId;
  }

  /** The phone fetches a cached file; the recorded input joins `takeNetwork`. */
  fetchCached(deviceId: string, cacheId: string, nowMs: number): boolean {
    if (this.caching === undefined) return false;
    const fetched = this.caching.fetchCached(deviceId, cacheId, nowMs);
    if (fetched.ok) this.counters.cachedDownloads++;
    else this.counters.fetchesRefused++;
    return fetched.ok;
  }

  takeNetwork(): { deviceId: string; input: NetworkInput }[] {
    const out = this.outgoing;
    this.outgoing = [];
    return out;
  }

  report(): ServiceCounters & {
    sendsToRecipients: number;
    sentPayloadBytes: number;
    duplicatesIgnored: number;
  } {
    return {
      ...this.counters,
      scanRequests: this.carried.scanRequests + (this.av?.requestsAnswered ?? 0),
      detections: this.carried.detections + (this.av?.onTheFlyAlerts ?? 0),
      sendsToRecipients: this.world.sendAttempts,
      sentPayloadBytes: this.world.sentPayloadBytes,
      duplicatesIgnored: this.world.duplicatesIgnored,
    };
  }
}
