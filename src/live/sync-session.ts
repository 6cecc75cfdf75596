// One phone's sync connection on the live server: the authentication
// handshake (Hello -> Challenge(nonce) -> AuthProof -> Welcome, HMAC-SHA256,
// DESIGN.md invariant 6) and the gate that lets an authenticated device's
// frames reach the core, one by one also when several came in one message
// (FrameBundle). Transport-free: bytes in (`receive`), frames out
// through `send`/`close`, so tests drive it without a socket.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import type { ErrorCode, Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { type Frame, FrameSchema, type Hello } from "../gen/mirrorcell/v1/sync_pb.ts";
import { nonceBytes, proofMatches } from "./auth.ts";

export type SessionState = "awaiting-hello" | "awaiting-proof" | "ready" | "closed";

export interface FrameCodec {
  decode(bytes: Uint8Array): Result<Frame>;
  encode(frame: Frame): Uint8Array;
  version: number;
}

export interface SessionDeps {
  codec: FrameCodec;
  deviceKey(deviceId: string): Uint8Array | undefined;
  newNonce(): Uint8Array;
  /** The device proved its key: returns the Welcome (acked seq, interval) or refuses. */
  authenticated(
    session: SyncSession,
    model: string,
  ): Result<{
    ackedSeq: bigint;
    syncIntervalMs: bigint;
    cloneRequired?: boolean;
    ackedLastSeq?: bigint;
    networkRecorded?: bigint;
  }>;
  /** After the Welcome went out (a clone-required Welcome excluded): frames the phone is owed. */
  welcomed?(session: SyncSession): void;
  /** A frame from an authenticated device (batch, repair response, power-off). */
  frame(session: SyncSession, frame: Frame, bytes: Uint8Array): void;
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
  rejected?(code: ErrorCode, message: string): void;
  /** A FrameBundle of `frames` frames arrived (counted before its frames are taken). */
  bundled?(frames: number): void;
}

/** WebSocket close codes: 1008 policy violation (auth), 1002 protocol error. */
export const closePolicy = 1008;
export const closeProtocol = 1002;
/** Application close code: an admin stopped this device's mirror; the phone retries later. */
export const closeMirrorStopped = 4001;

/** Frames a phone may send once authenticated. */
const phoneSends = new Set<string>([
  "batch",
  "repairResponse",
  "powerOff",
  "noticeAck",
  "cloneOffer",
  "cloneBlob",
]);

export class SyncSession {
  state: SessionState = "awaiting-hello";
  deviceId = "";
  /** The device's Hello (t_syn_int, durable position, fresh state), kept for the Welcome decision. */
  hello: Hello | undefined;
  private nonce: Uint8Array | undefined;
  private readonly deps: SessionDeps;

  constructor(deps: SessionDeps) {
    this.deps = deps;
  }

  receive(bytes: Uint8Array): void {
    if (this.state === "closed") return;
    const decoded = this.deps.codec.decode(bytes);
    if (!decoded.ok) {
      this.refuse(decoded.error.code, decoded.error.message, closeProtocol);
      return;
    }
    const frame = decoded.value;
    if (frame.body.case === "bundle") this.receiveBundle(frame.body.value.frames);
    else this.take(frame, bytes);
  }

  /**
   * A FrameBundle is its frames received one after another, each exactly as
   * if it had come in a message of its own: the same decode, state gate and
   * errors. A bad frame refuses and closes as it would alone; the frames
   * before it have been taken already (as separate messages read in the same
   * turn would have been: committed, and their ack dropped with the closed
   * connection, so the phone sends them again and intake dedupes them).
   */
  private receiveBundle(frames: readonly Uint8Array[]): void {
    assert(frames.length <= limits.frameBundleFramesMax, "the codec bounds a bundle");
    this.deps.bundled?.(frames.length);
    for (const bytes of frames) {
      if (this.state === "closed") return;
      const decoded = this.deps.codec.decode(bytes);
      if (!decoded.ok) {
        this.refuse(decoded.error.code, decoded.error.message, closeProtocol);
        return;
      }
      if (decoded.value.body.case === "bundle") {
        this.refuse("E_FRAME_MALFORMED", "Cannot accept frame bundle: bundles do not nest", closeProtocol);
        return;
      }
      this.take(decoded.value, bytes);
    }
  }

  private take(frame: Frame, bytes: Uint8Array): void {
    if (this.state === "awaiting-hello") this.onHello(frame);
    else if (this.state === "awaiting-proof") this.onProof(frame);
    else this.onReady(frame, bytes);
  }

  sendFrame(body: Frame["body"]): void {
    if (this.state === "closed") return;
    this.deps.send(this.deps.codec.encode(create(FrameSchema, { version: this.deps.codec.version, body })));
  }

  /** Sends an already encoded frame (replies from the core). */
  sendBytes(bytes: Uint8Array): void {
    if (this.state === "closed") return;
    this.deps.send(bytes);
  }

  /** Sends an Error frame; closes the connection when `closeCode` is given. */
  refuse(code: ErrorCode, message: string, closeCode?: number): void {
    this.deps.rejected?.(code, message);
    this.sendFrame({ case: "error", value: { $typeName: "mirrorcell.v1.Error", code, message } });
    if (closeCode !== undefined) this.closeWith(closeCode, code);
  }

  closeWith(closeCode: number, reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.deps.close(closeCode, reason);
  }

  private onHello(frame: Frame): void {
    if (frame.body.case !== "hello") {
      this.refuse("E_AUTH_REQUIRED", "Cannot accept frames before Hello and AuthProof", closePolicy);
      return;
    }
    const deviceId = frame.body.value.deviceId;
    if (this.deps.deviceKey(deviceId) === undefined) {
      this.refuse("E_AUTH_FAILED", `Device "${deviceId.slice(0, 64)}" is not enrolled`, closePolicy);
      return;
    }
    const intervalMs = frame.body.value.syncIntervalMs;
    if (
      intervalMs !== undefined &&
      (intervalMs < BigInt(limits.syncIntervalMsMin) || intervalMs > BigInt(limits.syncIntervalMsMax))
    ) {
      const bounds = `${limits.syncIntervalMsMin}..${limits.syncIntervalMsMax}`;
      this.refuse("E_CONFIG_INVALID", `Sync interval ${intervalMs} ms outside ${bounds} ms`, closePolicy);
      return;
    }
    this.hello = frame.body.value;
    this.deviceId = deviceId;
    this.nonce = this.deps.newNonce();
    assert(this.nonce.length === nonceBytes, "nonce length");
    this.state = "awaiting-proof";
    this.model = frame.body.value.model;
    this.sendFrame({ case: "challenge", value: { $typeName: "mirrorcell.v1.Challenge", nonce: this.nonce } });
  }

  private model = "";

  private onProof(frame: Frame): void {
    if (frame.body.case !== "authProof") {
      this.refuse("E_AUTH_REQUIRED", "Expected AuthProof after Challenge", closePolicy);
      return;
    }
    const key = this.deps.deviceKey(this.deviceId);
    assert(this.nonce !== undefined, "proof without a nonce");
    if (key === undefined || !proofMatches(key, this.nonce, this.deviceId, frame.body.value.mac)) {
      this.refuse("E_AUTH_FAILED", `Authentication failed for device ${this.deviceId}`, closePolicy);
      return;
    }
    this.nonce = undefined;
    this.state = "ready";
    const welcome = this.deps.authenticated(this, this.model);
    if (!welcome.ok) {
      this.refuse(welcome.error.code, welcome.error.message, closePolicy);
      return;
    }
    this.sendFrame({ case: "welcome", value: { $typeName: "mirrorcell.v1.Welcome", ...welcome.value } });
    if (welcome.value.cloneRequired !== true) this.deps.welcomed?.(this);
  }

  private onReady(frame: Frame, bytes: Uint8Array): void {
    const body = frame.body;
    if (body.case === "hello" || body.case === "authProof") {
      this.refuse("E_FRAME_MALFORMED", "Already authenticated", closeProtocol);
      return;
    }
    // An empty id means "the authenticated device" (the codec omits it).
    if (body.case === "batch" && body.value.deviceId !== "" && body.value.deviceId !== this.deviceId) {
      const message = `Device ${this.deviceId} cannot write the mirror of ${body.value.deviceId.slice(0, 64)}`;
      this.refuse("E_DEVICE_MISMATCH", message, closePolicy);
      return;
    }
    if (body.case === undefined || !phoneSends.has(body.case)) {
      this.refuse("E_FRAME_MALFORMED", `A phone does not send ${body.case ?? "empty"} frames`, closeProtocol);
      return;
    }
    this.deps.frame(this, frame, bytes);
  }
}
