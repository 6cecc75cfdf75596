// The phone's authenticated sync link: a ReconnectingSocket plus the client
// half of the handshake (Hello -> Challenge -> AuthProof -> Welcome). Every
// frame after the challenge goes to the phone core as bytes; after each
// Welcome the runtime retransmits what the server has not acked (or, when the
// Welcome asks for it, re-clones the mirror first). Hello tells the server
// the phone's t_syn_int and where its durable state stands.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import {
  type CloneDone,
  type CloneNeed,
  type Frame,
  FrameSchema,
  HelloSchema,
  type Welcome,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "./auth.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";
import { closeMirrorStopped, type FrameCodec } from "./sync-session.ts";

/** What the phone tells the server in every Hello. */
export interface HelloState {
  syncIntervalMs: number;
  lastBatchNo: number;
  freshState: boolean;
  /** The last batch the server acked (the phone dropped every batch up to it). */
  ackedBatchNo: number;
  networkConsumed: number;
}

export interface PhoneLinkOptions {
  url: string;
  deviceId: string;
  model: string;
  key: Uint8Array;
  bootId: bigint;
  codec: FrameCodec;
  hello(): HelloState;
  /** The Welcome frame (bytes: the core reads its acked batch; decoded: clone or not). */
  onWelcome(bytes: Uint8Array, welcome: Welcome): void;
  onFrame(bytes: Uint8Array): void;
  onCloneNeed(need: CloneNeed): void;
  onCloneDone(done: CloneDone): void;
  onDisconnect(reason: string): void;
  onServerError?(code: string, message: string): void;
}

export class PhoneLink {
  private readonly options: PhoneLinkOptions;
  private readonly socket: ReconnectingSocket;
  ready = false;
  welcomes = 0;
  /** What this connection's Hello said (the Welcome is the answer to it). */
  lastHello: HelloState | undefined;

  constructor(options: PhoneLinkOptions) {
    this.options = options;
    this.socket = new ReconnectingSocket({
      url: options.url,
      onOpen: () => this.hello(),
      onFrame: (bytes) => this.receive(bytes),
      onClose: (reason) => {
        this.ready = false;
        options.onDisconnect(reason);
      },
      // The server stopped this phone's mirror (admin): come back later, not at once.
      slowRetryCodes: [closeMirrorStopped],
    });
  }

  get bufferedBytes(): number {
    return this.socket.bufferedBytes;
  }

  start(): void {
    this.socket.start();
  }

  /** Drops the connection; the socket reconnects by itself. */
  drop(): void {
    this.ready = false;
    this.socket.drop();
  }

  close(): Promise<void> {
    this.ready = false;
    return this.socket.close();
  }

  /** Sends when authenticated; false otherwise (the SyncClient keeps it unacked). */
  send(bytes: Uint8Array): boolean {
    if (!this.ready) return false;
    return this.socket.send(bytes);
  }

  /** Sends frames in one corked burst when authenticated; how many were sent (all or none). */
  sendMany(frames: readonly Uint8Array[]): number {
    if (!this.ready) return 0;
    return this.socket.sendMany(frames);
  }

  /** Encodes and sends a frame the SyncClient does not make (clone steps). */
  sendFrame(body: Frame["body"]): boolean {
    return this.send(this.encode(body));
  }

  private encode(body: Frame["body"]): Uint8Array {
    return this.options.codec.encode(create(FrameSchema, { version: this.options.codec.version, body }));
  }

  private hello(): void {
    this.ready = false;
    const { deviceId, model, bootId } = this.options;
    const state = this.options.hello();
    assert(
      state.syncIntervalMs >= limits.syncIntervalMsMin && state.syncIntervalMs <= limits.syncIntervalMsMax,
      "the phone's sync interval is within bounds",
    );
    assert(Number.isSafeInteger(state.lastBatchNo) && state.lastBatchNo >= 0, "last batch number");
    assert(
      Number.isSafeInteger(state.ackedBatchNo) && state.ackedBatchNo <= state.lastBatchNo,
      "the acked batch is one the phone made",
    );
    this.lastHello = state;
    const hello = create(HelloSchema, {
      deviceId,
      model,
      bootId,
      syncIntervalMs: BigInt(state.syncIntervalMs),
      lastBatchNo: BigInt(state.lastBatchNo),
      freshState: state.freshState,
      ackedBatchNo: BigInt(state.ackedBatchNo),
      networkConsumed: BigInt(state.networkConsumed),
    });
    this.socket.send(this.encode({ case: "hello", value: hello }));
  }

  private receive(bytes: Uint8Array): void {
    const decoded = this.options.codec.decode(bytes);
    if (!decoded.ok) {
      this.options.onServerError?.(decoded.error.code, decoded.error.message);
      this.socket.drop();
      return;
    }
    const body = decoded.value.body;
    if (body.case === "challenge") {
      const mac = deviceProof(this.options.key, body.value.nonce, this.options.deviceId);
      this.socket.send(
        this.encode({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } }),
      );
      return;
    }
    if (body.case === "welcome") {
      this.ready = true;
      this.welcomes += 1;
      this.options.onWelcome(bytes, body.value);
      return;
    }
    if (body.case === "cloneNeed") {
      this.options.onCloneNeed(body.value);
      return;
    }
    if (body.case === "cloneDone") {
      this.options.onCloneDone(body.value);
      return;
    }
    if (body.case === "error") {
      this.options.onServerError?.(body.value.code, body.value.message);
      return;
    }
    this.options.onFrame(bytes);
  }
}
