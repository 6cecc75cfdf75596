// The antivirus service on the mirror server (paper §5.2, Table 2): the
// phone's hook app writes a scan request; once replay has written it on the
// mirror, the scan runs on the mirror's storage and the result goes back to
// the phone as a "scan-result" network input (recorded by the Traffic
// Monitor, so phone and mirror stay equal) plus a ScanResult notice in the
// next sync message. On-the-fly mode scans every file replay writes and
// tells the phone of detections the same way.
import { create } from "@bufbuild/protobuf";
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import type { Result } from "../../core/errors.ts";
import { NoticeSchema, ScanDetectionSchema, ScanResultSchema } from "../../gen/mirrorcell/v1/sync_pb.ts";
import { Storage, type StorageSnapshot } from "../../platform/storage.ts";
import type { MirrorService, ReplayedInputEvent, ServicePorts } from "../api.ts";
import type { AntivirusService, ScannableStorage } from "./antivirus-service.ts";
import { formatScanResult, parseScanRequest, requestIdOf, type StorageDetection } from "./scan-request.ts";

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

type WrittenFile = { path: string; sha256: Uint8Array };

export class AntivirusMirrorService implements MirrorService {
  readonly name = "antivirus";
  private readonly devices = new Map<string, DeviceState>();
  requestsAnswered = 0;
  onTheFlyAlerts = 0;

  constructor(
    private readonly ports: ServicePorts,
    private readonly options: AntivirusMirrorOptions,
  ) {}

  /** ServiceHost hook: user inputs only (hook-app requests and files users write). */
  onReplayedInput(event: ReplayedInputEvent): void {
    this.replayed(event.deviceId, event.nowMs, event.input.app);
  }

  /**
   * Call after every replayed input, user or network (SyncServer.onReplayedInput):
   * answers new scan requests and, on the fly, scans what replay wrote.
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
    const written = this.options.onTheFly ? this.writtenFiles(state, storage) : [];
    const requests: string[] = [];
    const candidates = this.options.onTheFly ? written : [...storage.walk()];
    for (const file of candidates) {
      const id = requestIdOf(file.path);
      if (id !== undefined && !state.answered.has(id)) requests.push(file.path);
    }
    for (const path of requests) this.answer(deviceId, storage, path, nowMs);
    if (written.length > 0) {
      const detections = this.options.service.scanWritten(storage, written);
      if (detections.length > 0)
        this.alert(deviceId, `onthefly-${++state.alerts}`, written.length, detections, nowMs);
    }
  }

  /** Files added or changed since the last look (every file the first time). */
  private writtenFiles(state: DeviceState, storage: MirrorStorage): WrittenFile[] {
    if (storage instanceof Storage) {
      const before = state.snapshot;
      state.snapshot = storage.snapshot();
      if (before === undefined) return [...storage.walk()];
      const out: WrittenFile[] = [];
      for (const change of Storage.fromSnapshot(before, this.ports.sha256).diff(storage)) {
        if (change.change === "removed") continue;
        const stat = storage.stat(change.path);
        if (stat.ok && stat.value.kind === "file" && stat.value.sha256 !== undefined) {
          out.push({ path: change.path, sha256: stat.value.sha256 });
        }
      }
      return out;
    }
    const seen = new Map<string, string>();
    const out: WrittenFile[] = [];
    for (const file of storage.walk()) {
      const sha = toHex(file.sha256);
      seen.set(file.path, sha);
      if (state.files.get(file.path) !== sha) out.push(file);
    }
    assert(seen.size >= out.length, "written files are a subset of the tree");
    state.files = seen;
    return out;
  }

  private stateOf(deviceId: string): DeviceState {
    let state = this.devices.get(deviceId);
    if (state === undefined) {
      state = { answered: new Set(), digestHex: "", snapshot: undefined, files: new Map(), alerts: 0 };
      this.devices.set(deviceId, state);
    }
    return state;
  }

  private answer(deviceId: string, storage: MirrorStorage, path: string, nowMs: number): void {
    const id = requestIdOf(path);
    assert(id !== undefined, "answer only request files");
    this.stateOf(deviceId).answered.add(id);
    const bytes = storage.readFile(path);
    const request = bytes.ok ? parseScanRequest(id, bytes.value) : undefined;
    const scope = request?.ok === true ? request.value.scope : "/";
    const report = this.options.service.scanStorage(storage, scope);
    this.requestsAnswered++;
    this.alert(deviceId, id, report.filesScanned, report.detections, nowMs);
  }

  /** Sends the result to the phone: a recorded network input and a notice. */
  private alert(
    deviceId: string,
    id: string,
    filesScanned: number,
    detections: StorageDetection[],
    nowMs: number,
  ): void {
    const version = this.options.service.database.version;
    if (id.startsWith("onthefly-")) this.onTheFlyAlerts++;
    const payload = formatScanResult({ version, filesScanned, detections });
    const delivered = this.ports.network.deliver(deviceId, {
      timeMs: nowMs,
      app: "antivirus-hook",
      kind: "scan-result",
      args: [`id=${id}`],
      payload,
    });
    assert(delivered.ok || delivered.error.code !== "E_APP_UNKNOWN", "antivirus-hook is a platform app");
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
}
