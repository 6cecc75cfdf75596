// The phone's side of the sync connection: one WebSocket to the server that
// reconnects with bounded exponential backoff whenever it drops (issue 5:
// phones survive server restarts). Frames are opaque bytes here; the phone
// runtime decides what to send on every (re)connect. Several frames at once
// (a backlog after a reconnect) leave in one corked write.
import type { Socket } from "node:net";
import WebSocket from "ws";
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";

export interface ReconnectingSocketOptions {
  url: string;
  onOpen(): void;
  onFrame(bytes: Uint8Array): void;
  onClose?(reason: string): void;
  backoffMsMin?: number;
  backoffMsMax?: number;
  /** Close codes after which the next attempt waits the longest backoff (the server asked us to go away). */
  slowRetryCodes?: readonly number[];
}

export class ReconnectingSocket {
  private readonly options: ReconnectingSocketOptions;
  private socket: WebSocket | undefined;
  /** The open connection's TCP socket (the upgrade response's), corked around sendMany. */
  private transport: Socket | undefined;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  connects = 0;

  constructor(options: ReconnectingSocketOptions) {
    this.options = options;
    this.backoffMs = options.backoffMsMin ?? limits.reconnectBackoffMsMin;
    assert(this.backoffMs > 0, "backoff must be positive");
    assert(this.backoffMs <= this.backoffMsMax, "backoff bounds reversed");
  }

  private get backoffMsMax(): number {
    return this.options.backoffMsMax ?? limits.reconnectBackoffMsMax;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in the socket but not yet written (backpressure signal). */
  get bufferedBytes(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  start(): void {
    assert(!this.closed, "socket already closed");
    this.connect();
  }

  send(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(bytes);
    return true;
  }

  /**
   * Sends frames back to back with the TCP socket corked: a backlog goes out
   * in a few large writes, not one per frame (session 8: at 1000 reconnecting
   * phones the server's socket reads, read buffers and the scavenges those
   * buffers force fell from 8.3 to 5.0 perf-us per batch). Returns how many
   * were sent: all of them, or none when the socket is not open.
   */
  sendMany(frames: readonly Uint8Array[]): number {
    if (!this.isOpen) return 0;
    const socket = this.socket!;
    const transport = this.transport;
    transport?.cork();
    try {
      for (const bytes of frames) socket.send(bytes);
    } finally {
      transport?.uncork();
    }
    assert(transport === undefined || transport.writableCorked === 0, "the socket is uncorked after a burst");
    return frames.length;
  }

  /** Drops the current connection (the socket reconnects by itself). */
  drop(): void {
    this.socket?.terminate();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once("close", () => resolve());
      socket.close();
      setTimeout(() => socket.terminate(), limits.socketCloseWaitMs).unref();
    });
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.options.url, {
      maxPayload: limits.frameBytesMax,
      perMessageDeflate: false,
    });
    this.socket = socket;
    this.transport = undefined;
    socket.binaryType = "nodebuffer";
    socket.on("upgrade", (response) => {
      if (this.socket === socket) this.transport = response.socket;
    });
    socket.on("open", () => {
      this.connects += 1;
      this.backoffMs = this.options.backoffMsMin ?? limits.reconnectBackoffMsMin;
      this.options.onOpen();
    });
    socket.on("message", (data: Buffer) => {
      this.options.onFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
    socket.on("error", () => {
      // A 'close' event follows every error; reconnecting happens there.
    });
    socket.on("close", (code, reason) => {
      if (this.socket === socket) {
        this.socket = undefined;
        this.transport = undefined;
      }
      this.options.onClose?.(`${code} ${reason.toString()}`);
      if (this.options.slowRetryCodes?.includes(code)) this.backoffMs = this.backoffMsMax;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delayMs = this.backoffMs * (0.5 + Math.random() * 0.5);
    this.backoffMs = Math.min(this.backoffMsMax, this.backoffMs * 2);
    this.timer = setTimeout(() => this.connect(), delayMs);
  }
}
