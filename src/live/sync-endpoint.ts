// The WebSocket sync endpoint of the live server (issue 5): protobuf Frames
// over ws, a frame size limit, authentication per connection (sync-session),
// group-committed ingest (an ack leaves only after its inputs are durable; one
// cumulative ack per phone per commit), and backpressure: a phone whose send
// buffer is over its bound is not read and its ack is held (acks are
// cumulative, so a held ack is simply sent later, never queued twice).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { assert } from "../core/assert.ts";
import type { ErrorCode } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock } from "../core/ports.ts";
import type { Frame } from "../gen/mirrorcell/v1/sync_pb.ts";
import { batchMessageView } from "../sync/frame-batch-wire.ts";
import { newNonce } from "./auth.ts";
import type { GroupCommitter } from "./group-commit.ts";
import { type CoreReply, type LiveCore, noCoreReply } from "./live-core.ts";
import {
  closeMirrorStopped,
  closePolicy,
  closeProtocol,
  type FrameCodec,
  SyncSession,
} from "./sync-session.ts";

export const syncPath = "/sync";

export interface SyncEndpointDeps {
  core: LiveCore;
  committer: GroupCommitter;
  codec: FrameCodec;
  clock: Clock;
  deviceKey(deviceId: string): Uint8Array | undefined;
  onRejected(code: ErrorCode, message: string): void;
  /** A phone's FrameBundle of `frames` frames arrived. */
  onBundle?(frames: number): void;
}

interface Connection {
  ws: WebSocket;
  session: SyncSession;
}

/**
 * One received frame in the group commit: a class, not two closures per frame.
 * A batch (the ingest hot path) waits as its bytes only and is decoded again
 * inside the commit; the session's decode (for its gate) is garbage at once.
 * A Frame, SyncBatch and views per queued batch, alive from the socket read to
 * the commit (up to groupCommitWorkMax of them), survived scavenges and died
 * old: at 1000 phones GC was ~5 us of a batch's ~40 (perf), and the second
 * decode costs less than it saves (bench/live-endpoint-ab.ts).
 */
class FrameWork {
  private result = noCoreReply;

  /** `frame`: any frame but a batch, decoded and owned; undefined for a batch, whose `bytes` wait. */
  constructor(
    private readonly endpoint: SyncEndpoint,
    private readonly conn: Connection,
    private readonly deviceId: string,
    private readonly frame: Frame | undefined,
    private readonly bytes: Uint8Array | undefined,
  ) {}

  apply(): void {
    this.result =
      this.frame === undefined
        ? this.endpoint.applyBatchBytes(this.deviceId, this.bytes)
        : this.endpoint.applyFrame(this.deviceId, this.frame, undefined);
  }

  committed(): void {
    if (this.result !== noCoreReply) this.endpoint.frameCommitted(this.conn, this.result);
  }
}

export class SyncEndpoint {
  private readonly deps: SyncEndpointDeps;
  private readonly wss: WebSocketServer;
  private readonly byDevice = new Map<string, Connection>();
  private readonly all = new Set<Connection>();
  /** Connections whose committed frames are not acked yet (held while their send buffer is full). */
  private readonly ackOwed = new Set<Connection>();
  private readonly resumeTimer: NodeJS.Timeout;

  constructor(deps: SyncEndpointDeps) {
    this.deps = deps;
    // Twice the frame cap so an oversized frame still gets a clear Error frame
    // from the decoder; beyond that ws closes with 1009.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.frameBytesMax * 2,
      perMessageDeflate: false,
    });
    this.resumeTimer = setInterval(() => this.resumeIdle(), limits.socketResumeCheckMs);
    deps.committer.onFlushed(() => this.sendOwedAcks());
    this.resumeTimer.unref();
  }

  get connectedPhones(): number {
    return this.byDevice.size;
  }

  isConnected(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(req.url ?? "/", "http://x").pathname !== syncPath) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptSocket(ws));
  }

  /** Sends an encoded frame to a device if it is connected (replies from replay). */
  sendTo(deviceId: string, bytes: Uint8Array): void {
    this.byDevice.get(deviceId)?.session.sendBytes(bytes);
  }

  /**
   * Disconnects a device now (admin stop of its mirror): the phone gets a
   * close code that makes it retry later, and the core forgets the connection
   * at once so the mirror can be stopped in the same turn.
   */
  disconnect(deviceId: string, reason: string): boolean {
    const conn = this.byDevice.get(deviceId);
    if (conn === undefined) return false;
    this.byDevice.delete(deviceId);
    this.deps.core.disconnect(deviceId);
    conn.session.closeWith(closeMirrorStopped, reason.slice(0, 120));
    return true;
  }

  close(): void {
    clearInterval(this.resumeTimer);
    for (const conn of this.all) conn.ws.terminate();
    this.wss.close();
  }

  /** Serves one upgraded socket (handleUpgrade's; tests hand in a socket they control). */
  acceptSocket(ws: WebSocket): void {
    const conn: Connection = { ws, session: undefined as unknown as SyncSession };
    conn.session = new SyncSession({
      codec: this.deps.codec,
      deviceKey: (id) => this.deps.deviceKey(id),
      newNonce,
      authenticated: (session, model) => this.onAuthenticated(conn, session, model),
      // A phone back from a gap gets its unacked notices and a repair asked again now, not at its next batch.
      welcomed: (session) => {
        for (const bytes of this.deps.core.pendingFrames(session.deviceId, this.deps.clock.nowMs()))
          this.sendBytes(conn, bytes);
      },
      frame: (session, frame, bytes) => this.onFrame(conn, session.deviceId, frame, bytes),
      send: (bytes) => this.sendBytes(conn, bytes),
      close: (code, reason) => ws.close(code, reason),
      rejected: (code, message) => this.deps.onRejected(code, message),
      bundled: (frames) => this.deps.onBundle?.(frames),
    });
    this.all.add(conn);
    ws.on("message", (data: Buffer) => {
      conn.session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.applyBackpressure(conn);
    });
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      this.all.delete(conn);
      this.ackOwed.delete(conn);
      conn.session.state = "closed";
      if (this.byDevice.get(conn.session.deviceId) === conn) {
        this.byDevice.delete(conn.session.deviceId);
        this.deps.core.disconnect(conn.session.deviceId);
      }
    });
  }

  private onAuthenticated(conn: Connection, session: SyncSession, model: string) {
    const deviceId = session.deviceId;
    const previous = this.byDevice.get(deviceId);
    if (previous !== undefined && previous !== conn) {
      // The newest connection of a device wins (a phone that reconnected
      // before the server noticed its old socket died).
      this.byDevice.delete(deviceId);
      previous.session.closeWith(closePolicy, "replaced by a newer connection");
    }
    const welcome = this.deps.core.connect(deviceId, model, this.deps.clock.nowMs(), session.hello);
    if (!welcome.ok) return welcome;
    this.byDevice.set(deviceId, conn);
    const w = welcome.value;
    return {
      ok: true as const,
      value: {
        ackedSeq: BigInt(w.ackedSeq),
        syncIntervalMs: BigInt(w.syncIntervalMs),
        ...(w.cloneRequired === true
          ? {
              cloneRequired: true,
              ackedLastSeq: BigInt(w.ackedLastSeq ?? 0),
              networkRecorded: BigInt(w.networkRecorded ?? 0),
            }
          : {}),
      },
    };
  }

  private onFrame(conn: Connection, deviceId: string, frame: Frame, bytes: Uint8Array): void {
    this.ackOwed.add(conn);
    const work =
      frame.body.case === "batch"
        ? new FrameWork(this, conn, deviceId, undefined, bytes)
        : new FrameWork(this, conn, deviceId, ownedFrame(this.deps.codec, frame, bytes), undefined);
    this.deps.committer.enqueue(work);
  }

  /** Inside the group commit: a batch frame the session took, decoded again from its bytes. */
  applyBatchBytes(deviceId: string, bytes: Uint8Array | undefined): CoreReply {
    assert(bytes !== undefined, "a batch waits for the commit as its bytes");
    const decoded = this.deps.codec.decode(bytes);
    assert(decoded.ok && decoded.value.body.case === "batch", "a batch frame the session took decodes again");
    // The SyncBatch bytes as received: stored as they are (no re-encode).
    return this.applyFrame(deviceId, decoded.value, batchMessageView(bytes));
  }

  /** Inside the group commit: the core takes the frame (FrameWork.apply). */
  applyFrame(deviceId: string, frame: Frame, batchBytes: Uint8Array | undefined): CoreReply {
    return this.deps.core.receive(deviceId, frame, this.deps.clock.nowMs(), batchBytes);
  }

  /** After the commit: the core's replies for one frame (acks leave apart, once per phone). */
  frameCommitted(conn: Connection, result: CoreReply): void {
    for (const bytes of result.replies) conn.session.sendBytes(bytes);
    if (result.error !== undefined) this.deps.onRejected(result.error.code, result.error.message);
    if (result.close) conn.session.closeWith(closeProtocol, "protocol error");
  }

  private sendBytes(conn: Connection, bytes: Uint8Array): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(bytes);
  }

  /** After a commit: one cumulative ack per phone whose frames it covered, unless its buffer is full. */
  private sendOwedAcks(): void {
    // markDurable acks everything the core accepted, and the core accepts
    // only inside a flush: with nothing pending, all of it is committed. (A
    // frame still queued would lose its ack if we acked its phone now.)
    if (this.deps.committer.pending > 0) return;
    for (const conn of this.ackOwed) {
      const deviceId = conn.session.deviceId;
      if (conn.session.state !== "ready" || this.byDevice.get(deviceId) !== conn) {
        this.ackOwed.delete(conn);
        continue;
      }
      if (conn.ws.bufferedAmount >= limits.socketSendBufferBytesHigh) continue; // held: resumeIdle retries
      this.ackOwed.delete(conn);
      for (const reply of this.deps.core.markDurable(deviceId)) conn.session.sendBytes(reply);
    }
    assert(this.ackOwed.size <= this.all.size, "acks owed to closed connections");
  }

  private applyBackpressure(conn: Connection): void {
    // The commit queue needs no check: it flushes every turn (and at
    // groupCommitWorkMax), so it holds at most one turn of socket reads.
    if (conn.ws.bufferedAmount >= limits.socketSendBufferBytesHigh && !conn.ws.isPaused) conn.ws.pause();
  }

  private resumeIdle(): void {
    for (const conn of this.all) {
      if (conn.ws.isPaused && conn.ws.bufferedAmount < limits.socketSendBufferBytesHigh / 2) conn.ws.resume();
    }
    if (this.ackOwed.size > 0) this.sendOwedAcks();
    assert(this.byDevice.size <= this.all.size, "more devices than connections");
  }
}

/**
 * The frame itself, or for the rare frames whose bytes fields the core keeps
 * beyond the commit (a repair's file contents go into the mirror's files, a
 * clone's manifest and digest into its pending clone) the same frame decoded
 * from a copy of its bytes. Decoded fields are views of `bytes`, which is a
 * view of a socket read: a kept 1 kB file would pin the whole read buffer.
 * Batches are not copied: the store copies their bytes, the core keeps none.
 */
export function ownedFrame(codec: FrameCodec, frame: Frame, bytes: Uint8Array): Frame {
  const kind = frame.body.case;
  if (kind !== "repairResponse" && kind !== "cloneOffer") return frame;
  const copy = codec.decode(bytes.slice());
  assert(copy.ok && copy.value.body.case === kind, "a decoded frame decodes again from a copy");
  return copy.value;
}
