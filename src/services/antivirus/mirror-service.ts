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
import { NoticeSchema, ScanDetectionSchema, ScanResultSchema } from "../../gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorService, ReplayedInputEvent, ServicePorts } from "../api.ts";
import type { AntivirusService, ScannableStorage } from "./antivirus-service.ts";
import { formatScanResult, parseScanRequest, requestIdOf, type StorageDetection } from "./scan-request.ts";

/** A mirror's storage as this service reads it (MirrorServer.view fits). */
export interface MirrorStorage extends ScannableStorage {
  digest(): Uint8Array;
}

export interface AntivirusMirrorOptions {
  service: AntivirusService;
  storageOf(deviceId: string): MirrorStorage | undefined;
  /** Scan every file replay writes, not only on request. */
  onTheFly: boolean;
}

interface DeviceState {
  answered: Set<string>;
  /** On-the-fly: the digest and files last seen, to find what replay wrote. */
  digestHex: string;
  files: Map<string, string>;
  alerts: number;
}

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
    const written: { path: string; sha256: Uint8Array }[] = [];
    const requests: string[] = [];
    const seen = new Map<string, string>();
    for (const file of storage.walk()) {
      const sha = toHex(file.sha256);
      seen.set(file.path, sha);
      if (this.options.onTheFly && state.files.get(file.path) !== sha) written.push(file);
      const id = requestIdOf(file.path);
      if (id !== undefined && !state.answered.has(id)) requests.push(file.path);
    }
    state.files = this.options.onTheFly ? seen : state.files;
    for (const path of requests) this.answer(deviceId, storage, path, nowMs);
    if (written.length > 0) {
      const detections = this.options.service.scanWritten(storage, written);
      if (detections.length > 0)
        this.alert(deviceId, `onthefly-${++state.alerts}`, written.length, detections, nowMs);
    }
  }

  private stateOf(deviceId: string): DeviceState {
    let state = this.devices.get(deviceId);
    if (state === undefined) {
      state = { answered: new Set(), digestHex: "", files: new Map(), alerts: 0 };
      this.devices.set(deviceId, state);
    }
    return state;
  }

  private answer(deviceId: string, storage: MirrorStorage, path: string, nowMs: number): void {
    const id = requestIdOf(path);
    assert(id !== undefined, "answer only request files");
    this.stateOf(deviceId).answered.add(id);
    const sha = [...storage.walk()].find((f) => f.path === path)?.sha256;
    const bytes = sha === undefined ? undefined : storage.blob(sha);
    const request = bytes === undefined ? undefined : parseScanRequest(id, bytes);
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
