// The antivirus service on the mirror server (paper §5.2, Table 2): the
// phone's hook app writes a scan request; once replay has written it on the
// mirror, a scan job starts over a snapshot of the mirror's storage at that
// replay point, and the result goes back to the phone as a "scan-result"
// network input (recorded by the Traffic Monitor, so phone and mirror stay
// equal) plus a ScanResult notice in the next sync message. On-the-fly mode
// scans every file replay writes and tells the phone of detections the same
// way. The replay hook only takes an O(1) snapshot and a Merkle diff (cost ∝
// changes); the scanning itself runs in bounded steps (onStep, driven by the
// runtime through ServiceHost.step/tick), so replay and every other phone's
// intake wait for one step at most while the mirror keeps replaying.
import { create } from "@bufbuild/protobuf";
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { ErrorCodes, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { NoticeSchema, ScanDetectionSchema, ScanResultSchema } from "../../gen/mirrorcell/v1/sync_pb.ts";
import { Storage, type StorageSnapshot } from "../../platform/storage.ts";
import type { MirrorService, ReplayedInputEvent, ServicePorts, StepBudget, StepUsage } from "../api.ts";
import type { AntivirusService, ScannableStorage } from "./antivirus-service.ts";
import { type FinishedScan, ScanQueue, type ScanTask } from "./scan-queue.ts";
import { formatScanResult, parseScanRequest, requestIdOf, type StorageDetection } from "./scan-request.ts";
import { type WrittenFile, WrittenFiles } from "./written-files.ts";

/** A mirror's storage as this service reads it (MirrorServer.view fits). */
export interface MirrorStorage extends ScannableStorage {
  digest(): Uint8Array;
  readFile(path: string): Result<Uint8Array>;
}

export interface AntivirusMirrorOptions {
  service: AntivirusService;
  storageOf(deviceId: string): MirrorStorage | undefined;
  /** Scan every file replay writes, not only on request. */
  onTheFly: boolean;
}

interface DeviceState {
  answered: Set<string>;
  digestHex: string;
  /** On-the-fly: the tree last seen, to find what replay wrote (Merkle diff, cost ∝ changes). */
  snapshot: StorageSnapshot | undefined;
  /** The same for storages that are not a platform Storage: path → SHA-256 hex (a walk). */
  files: Map<string, string>;
  alerts: number;
}

const requestsDir = "/data/antivirus/requests";

export class AntivirusMirrorService implements MirrorService {
  readonly name = "antivirus";
  private readonly devices = new Map<string, DeviceState>();
  private readonly queue: ScanQueue;
  requestsAnswered = 0;
  /** Requests answered with E_QUEUE_FULL instead of a scan. */
  requestsRefused = 0;
  onTheFlyAlerts = 0;

  constructor(
    private readonly ports: ServicePorts,
    private readonly options: AntivirusMirrorOptions,
  ) {
    this.queue = new ScanQueue((task) =>
      options.service.beginScan(task.source, task.kind === "request" ? task.scope : "/"),
    );
  }

  /** ServiceHost hook: user inputs only (hook-app requests and files users write). */
  onReplayedInput(event: ReplayedInputEvent): void {
    this.replayed(event.deviceId, event.nowMs, event.input.app);
  }

  /**
   * Call after every replayed input, user or network (SyncServer.onReplayedInput):
   * queues scans of new requests and, on the fly, of what replay wrote.
   */
  replayed(deviceId: string, nowMs: number, app?: string): void {
    // Only the hook app writes requests: without on-the-fly mode nothing else needs a look.
    if (!this.options.onTheFly && app !== undefined && app !== "antivirus-hook") return;
    const storage = this.options.storageOf(deviceId);
    if (storage === undefined) return;
    const state = this.stateOf(deviceId);
    const digestHex = toHex(storage.digest());
    if (digestHex === state.digestHex) return;
    state.digestHex = digestHex;
    if (storage instanceof Storage) this.queueScans(deviceId, state, storage, nowMs);
    else this.scanNow(deviceId, state, storage, nowMs);
  }

  hasStepWork(): boolean {
    return this.queue.size > 0;
  }

  /** Scans waiting and running: the runtime's backlog. */
  get scansPending(): number {
    return this.queue.size;
  }

  /** One bounded step of the running scan jobs; finished ones are answered now. */
  onStep(nowMs: number, budget: StepBudget): StepUsage {
    const { usage, finished } = this.queue.step(budget);
    for (const done of finished) this.finish(done, nowMs);
    return usage;
  }

  /** Snapshot now (O(1)), scan later: the result describes the storage as of this replay point. */
  private queueScans(deviceId: string, state: DeviceState, storage: Storage, nowMs: number): void {
    const snapshot = storage.snapshot();
    const frozen = Storage.fromSnapshot(snapshot, this.ports.sha256);
    assert(toHex(frozen.digest()) === state.digestHex, "the snapshot is the storage at this replay point");
    const listed = frozen.list(requestsDir);
    for (const name of listed.ok ? listed.value : []) {
      const path = `${requestsDir}/${name}`;
      const id = requestIdOf(path);
      if (id === undefined || state.answered.has(id)) continue;
      state.answered.add(id);
      const bytes = frozen.readFile(path);
      const request = bytes.ok ? parseScanRequest(id, bytes.value) : undefined;
      const scope = request?.ok === true ? request.value.scope : "/";
      const task: ScanTask = { kind: "request", deviceId, requestId: id, source: frozen, scope };
      if (!this.queue.offer(task)) this.refuse(deviceId, id, nowMs);
    }
    if (!this.options.onTheFly) return;
    const before = state.snapshot;
    state.snapshot = snapshot;
    if (before === undefined) {
      // The first look: every file (a lazy walk of the snapshot, not a list).
      this.queue.offer({ kind: "onthefly", deviceId, source: frozen });
      return;
    }
    const written = this.writtenSince(before, frozen);
    for (const file of written) {
      let open = this.queue.openOnTheFly(deviceId);
      if (open === undefined) {
        open = new WrittenFiles();
        this.queue.offer({ kind: "onthefly", deviceId, source: open, written: open });
      }
      open.add(file, frozen);
    }
  }

  /** Files added or changed between two snapshots (a Merkle diff, cost ∝ changes). */
  private writtenSince(before: StorageSnapshot, now: Storage): WrittenFile[] {
    const out: WrittenFile[] = [];
    for (const change of Storage.fromSnapshot(before, this.ports.sha256).diff(now)) {
      if (change.change === "removed") continue;
      const stat = now.stat(change.path);
      if (stat.ok && stat.value.kind === "file" && stat.value.sha256 !== undefined) {
        out.push({ path: change.path, sha256: stat.value.sha256, size: stat.value.size });
      }
    }
    assert(out.length <= now.fileCount, "written files are a subset of the tree");
    return out;
  }

  /**
   * Storages that are not a platform Storage (test fakes) cannot be
   * snapshotted: they are scanned to completion here, as before jobs existed.
   */
  private scanNow(deviceId: string, state: DeviceState, storage: MirrorStorage, nowMs: number): void {
    const seen = new Map<string, string>();
    const written: WrittenFile[] = [];
    for (const file of storage.walk()) {
      const sha = toHex(file.sha256);
      seen.set(file.path, sha);
      if (state.files.get(file.path) !== sha) written.push(file);
      const id = requestIdOf(file.path);
      if (id === undefined || state.answered.has(id)) continue;
      state.answered.add(id);
      const bytes = storage.readFile(file.path);
      const request = bytes.ok ? parseScanRequest(id, bytes.value) : undefined;
      const scope = request?.ok === true ? request.value.scope : "/";
      const task: ScanTask = { kind: "request", deviceId, requestId: id, source: storage, scope };
      this.finish({ task, report: this.options.service.scanStorage(storage, scope) }, nowMs);
    }
    assert(seen.size >= written.length, "written files are a subset of the tree");
    state.files = seen;
    if (!this.options.onTheFly || written.length === 0) return;
    const detections = this.options.service.scanWritten(storage, written);
    if (detections.length > 0)
      this.alert(deviceId, `onthefly-${++state.alerts}`, written.length, detections, nowMs);
  }

  private finish({ task, report }: FinishedScan, nowMs: number): void {
    // Without allMatch the engine reports one detection per file at most.
    assert(report.detections.length <= report.filesScanned, "detections name scanned files");
    if (task.kind === "request") {
      this.requestsAnswered++;
      this.alert(
        task.deviceId,
        task.requestId,
        report.filesScanned,
        report.detections,
        nowMs,
        report.version,
      );
      return;
    }
    if (report.detections.length === 0) return;
    const state = this.stateOf(task.deviceId);
    this.alert(
      task.deviceId,
      `onthefly-${++state.alerts}`,
      report.filesScanned,
      report.detections,
      nowMs,
      report.version,
    );
  }

  private refuse(deviceId: string, id: string, nowMs: number): void {
    assert(this.queue.size >= limits.scanRequestsQueuedMax, "refused only with a full queue");
    this.requestsRefused++;
    const error = `${ErrorCodes.QUEUE_FULL}: ${limits.scanRequestsQueuedMax} scan requests are already waiting`;
    const version = this.options.service.database.version;
    const payload = formatScanResult({ version, filesScanned: 0, detections: [], error });
    this.deliver(deviceId, id, payload, nowMs);
    this.ports.notices.queueNotice(
      deviceId,
      create(NoticeSchema, { kind: { case: "text", value: `scan ${id} refused: ${error}` } }),
    );
  }

  private stateOf(deviceId: string): DeviceState {
    let state = this.devices.get(deviceId);
    if (state === undefined) {
      state = { answered: new Set(), digestHex: "", snapshot: undefined, files: new Map(), alerts: 0 };
      this.devices.set(deviceId, state);
    }
    return state;
  }

  /** Sends the result to the phone: a recorded network input and a notice. */
  private alert(
    deviceId: string,
    id: string,
    filesScanned: number,
    detections: StorageDetection[],
    nowMs: number,
    version = this.options.service.database.version,
  ): void {
    if (id.startsWith("onthefly-")) this.onTheFlyAlerts++;
    this.deliver(deviceId, id, formatScanResult({ version, filesScanned, detections }), nowMs);
    const result = create(ScanResultSchema, {
      requestId: id,
      databaseVersion: version,
      filesScanned: BigInt(filesScanned),
      detections: detections.map((d) => create(ScanDetectionSchema, { path: d.path, signature: d.name })),
    });
    this.ports.notices.queueNotice(
      deviceId,
      create(NoticeSchema, { kind: { case: "scanResult", value: result } }),
    );
  }

  private deliver(deviceId: string, id: string, payload: Uint8Array, nowMs: number): void {
    const delivered = this.ports.network.deliver(deviceId, {
      timeMs: nowMs,
      app: "antivirus-hook",
      kind: "scan-result",
      args: [`id=${id}`],
      payload,
    });
    assert(delivered.ok || delivered.error.code !== "E_APP_UNKNOWN", "antivirus-hook is a platform app");
  }
}
