// The phone's authenticated sync link: a ReconnectingSocket plus the client
// half of the handshake (Hello -> Challenge -> AuthProof -> Welcome). Every
// frame after the challenge goes to the phone core as bytes; after each
// Welcome the runtime retransmits what the server has not acked.
import { create } from "@bufbuild/protobuf";
import { type Frame, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "./auth.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";
import type { FrameCodec } from "./sync-session.ts";

export interface PhoneLinkOptions {
  url: string;
  deviceId: string;
  model: string;
  key: Uint8Array;
  bootId: bigint;
  codec: FrameCodec;
  /** The Welcome frame (bytes: the core reads its acked batch). */
  onWelcome(bytes: Uint8Array): void;
  onFrame(bytes: Uint8Array): void;
  onDisconnect(): void;
  onServerError?(code: string, message: string): void;
}

export class PhoneLink {
  private readonly options: PhoneLinkOptions;
  private readonly socket: ReconnectingSocket;
  ready = false;
  welcomes = 0;

  constructor(options: PhoneLinkOptions) {
    this.options = options;
    this.socket = new ReconnectingSocket({
      url: options.url,
      onOpen: () => this.hello(),
      onFrame: (bytes) => this.receive(bytes),
      onClose: () => {
        this.ready = false;
        options.onDisconnect();
      },
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

  private encode(body: Frame["body"]): Uint8Array {
    return this.options.codec.encode(create(FrameSchema, { version: this.options.codec.version, body }));
  }

  private hello(): void {
    this.ready = false;
    const { deviceId, model, bootId } = this.options;
    this.socket.send(
      this.encode({ case: "hello", value: { $typeName: "mirrorcell.v1.Hello", deviceId, model, bootId } }),
    );
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
      this.options.onWelcome(bytes);
      return;
    }
    if (body.case === "error") {
      this.options.onServerError?.(body.value.code, body.value.message);
      return;
    }
    this.options.onFrame(bytes);
  }
}
