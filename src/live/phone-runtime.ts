// The `mirrorcell phone` process (issue 5): drives a PhoneCore (platform +
// workload + SyncClient) with wall time, sends its frames over the
// authenticated reconnecting link, fetches network deliveries through the
// server's Traffic Monitor proxy (so the mirror sees the same network inputs,
// in the same order), and on power-off sends the final batch and waits until
// it is acked. When the server's Welcome says the mirror does not follow this
// phone's state (a phone that lost its data), it re-clones the mirror from the
// phone (paper §3.2): offer, missing blobs in chunks, done.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock } from "../core/ports.ts";
import {
  CloneBlobSchema,
  type CloneDone,
  CloneFileSchema,
  type CloneNeed,
  CloneOfferSchema,
  type Notice,
  type Welcome,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import type { AppName, NetworkInput, UserInputBody } from "../platform/inputs.ts";
import { burstMessages } from "../sync/frame.ts";
import type { ContentOrigin } from "./content-origin.ts";
import type { NetworkWant, PhoneCore } from "./phone-core.ts";
import { PhoneLink } from "./phone-link.ts";
import { fetchThroughProxy, type ProxyClientOptions, redeliverThroughProxy } from "./proxy-client.ts";
import { closeMirrorStopped, type FrameCodec } from "./sync-session.ts";

export interface PhoneRuntimeOptions {
  core: PhoneCore;
  syncUrl: string;
  proxyUrl: string;
  key: Uint8Array;
  clock: Clock;
  codec: FrameCodec;
  origin: ContentOrigin;
  /** Wall ms between runtime steps (workload, sync tick). */
  stepMs?: number;
  onServerError?(text: string): void;
  /** Lifecycle lines worth a log (re-clone begun/done, disconnected by the server). */
  onLog?(line: string): void;
}

const fetchAttemptsMax = limits.livePhoneFetchAttemptsMax;
const fetchRetryMs = limits.livePhoneFetchRetryMs;

export class PhoneRuntime {
  private readonly options: PhoneRuntimeOptions;
  private readonly link: PhoneLink;
  private readonly startMs: number;
  private timer: NodeJS.Timeout | undefined;
  private network: Promise<void> = Promise.resolve();
  private readonly pendingWants: NetworkWant[] = [];
  private poweredOff = false;
  private generating = true;
  errors: string[] = [];
  networkFetches = 0;
  /** Bytes of every frame handed to the link (the phone's sync uplink). */
  uplinkBytes = 0;
  /** Caching service (issue 7, src/live/caching/phone-caching.ts): notices from the server, as they arrive. */
  onNotices: ((notices: Notice[]) => void) | undefined;

  constructor(options: PhoneRuntimeOptions) {
    this.options = options;
    this.startMs = options.clock.nowMs();
    const core = options.core;
    this.link = new PhoneLink({
      url: options.syncUrl,
      deviceId: core.deviceId,
      model: core.model,
      key: options.key,
      bootId: BigInt(this.startMs),
      codec: options.codec,
      hello: () => ({
        syncIntervalMs: core.syncIntervalMs,
        lastBatchNo: core.batchesMade,
        freshState: !core.bound,
        ackedBatchNo: core.ackedBatchNo,
        networkConsumed: core.networkConsumed,
      }),
      onWelcome: (bytes, welcome) => this.welcomed(bytes, welcome),
      onFrame: (bytes) => this.receive(bytes),
      onCloneNeed: (need) => this.sendCloneBlobs(need),
      onCloneDone: (done) => this.cloneDone(done),
      onDisconnect: (reason) => {
        core.onDisconnect();
        if (reason.startsWith(`${closeMirrorStopped} `)) this.options.onLog?.(`disconnected: ${reason}`);
      },
      onServerError: (code, message) => this.noteError(`server: ${code}: ${message}`),
    });
  }

  private welcomed(bytes: Uint8Array, welcome: Welcome): void {
    const core = this.options.core;
    if (welcome.cloneRequired !== true) {
      core.markBound();
      this.receive(bytes);
      this.sendAll(core.onConnect(this.nowMs()));
      return;
    }
    const recorded = Number(welcome.networkRecorded ?? 0n);
    const lost = this.serverLostHistory(welcome);
    const at = {
      batchNo: Number(welcome.ackedSeq),
      lastSeq: Number(welcome.ackedLastSeq ?? 0n),
      // A delivery consumed since the server wrote its Welcome stays consumed;
      // after a server's loss the phone continues the server's numbering
      // (what it consumed beyond it is in the cloned storage already).
      networkConsumed: lost ? recorded : Math.max(recorded, core.networkConsumed),
    };
    const why = lost
      ? "the server lost this phone's history"
      : "the mirror does not follow this phone's state";
    this.options.onLog?.(`${why}: re-cloning it from the phone at batch ${at.batchNo}`);
    const offer = core.beginClone(at, this.nowMs());
    const sent = this.link.sendFrame({
      case: "cloneOffer",
      value: create(CloneOfferSchema, {
        batchNo: BigInt(offer.position.batchNo),
        lastSeq: BigInt(offer.position.lastSeq),
        networkConsumed: BigInt(offer.position.networkConsumed),
        windowEndMs: BigInt(offer.position.windowEndMs),
        storageDigest: offer.digest,
        files: offer.files.map((f) =>
          create(CloneFileSchema, { path: f.path, sha256: f.sha256, size: BigInt(f.size) }),
        ),
        emptyDirs: [...offer.emptyDirs],
        volatileState: offer.volatileState ?? new Uint8Array(0),
      }),
    });
    if (!sent) this.noteError("clone offer not sent: the link dropped (the clone restarts on reconnect)");
  }

  /**
   * The server holds less than this connection's Hello said the phone had
   * acked or consumed (its data dir wiped or restored from a backup): what
   * the server answered, not what the phone did since, decides.
   */
  private serverLostHistory(welcome: Welcome): boolean {
    const hello = this.link.lastHello;
    assert(hello !== undefined, "a Welcome answers a Hello");
    return (
      hello.ackedBatchNo > Number(welcome.ackedSeq) ||
      hello.networkConsumed > Number(welcome.networkRecorded ?? 0n)
    );
  }

  /** Clone step 3: the blobs the server lacks, in chunks of at most limits.cloneChunkBytes. */
  private sendCloneBlobs(need: CloneNeed): void {
    const blobs = this.options.core.cloneBlobs(need.missing);
    assert(blobs.length <= need.missing.length, "more clone blobs than asked for");
    if (blobs.length < need.missing.length)
      this.noteError("clone: the phone lacks a blob the server asked for");
    for (const [i, blob] of blobs.entries()) {
      const sha256 = need.missing[i]!;
      for (let offset = 0; offset === 0 || offset < blob.length; offset += limits.cloneChunkBytes) {
        const data = blob.subarray(offset, offset + limits.cloneChunkBytes);
        const value = create(CloneBlobSchema, { sha256, offset: BigInt(offset), data });
        if (!this.link.sendFrame({ case: "cloneBlob", value })) return;
        this.uplinkBytes += data.length;
      }
    }
  }

  private cloneDone(done: CloneDone): void {
    this.options.onLog?.(
      `mirror re-cloned at batch ${done.batchNo}: ${done.blobsReceived} blobs (${done.blobBytesReceived} bytes) sent`,
    );
    this.sendAll(this.options.core.endClone(this.nowMs()));
  }

  get core(): PhoneCore {
    return this.options.core;
  }

  get connected(): boolean {
    return this.link.ready;
  }

  get welcomes(): number {
    return this.link.welcomes;
  }

  start(): void {
    this.link.start();
    this.schedule();
  }

  /** Phone time: wall ms (one timeline with the server, so lag is real). */
  nowMs(): number {
    return this.options.clock.nowMs();
  }

  /** Runs one step now (tests call it to avoid waiting for the timer). */
  step(): void {
    if (this.poweredOff) return;
    const now = this.nowMs();
    if (this.generating) {
      const { frames, wants } = this.options.core.runWorkload(now);
      this.sendAll(frames);
      for (const want of wants) this.queueNetwork(want);
    }
    this.sendAll(this.options.core.tick(now));
  }

  // --- caching service hooks (issue 7): a user action from outside the workload, and a network input fetched on request ---

  /** Applies a user action now (a share, a download request) and sends its frames. */
  applyUserAction(input: { app: AppName; body: UserInputBody }): Result<void> {
    assert(!this.poweredOff, "a user action on a powered-off phone");
    const frames = this.core.applyUserInput(input, this.nowMs());
    if (!frames.ok) return frames;
    this.sendAll(frames.value);
    return ok(undefined);
  }

  /** The proxy address and credentials of this phone. */
  proxyClient(): ProxyClientOptions {
    return { proxyUrl: this.options.proxyUrl, deviceId: this.core.deviceId, keyHex: toHex(this.options.key) };
  }

  /**
   * Fetches one recorded network input (e.g. a cached file) in turn with the
   * phone's other network fetches, consumes every earlier recorded input
   * first, then applies it: phone and mirror apply them in one order.
   */
  fetchNetwork(get: () => Promise<Result<NetworkInput>>): Promise<Result<NetworkInput>> {
    const fetched = this.network.then(async () => {
      const got = await get();
      if (!got.ok || this.poweredOff) return got;
      await this.consumeUpTo(this.proxyClient(), got.value.index - 1);
      this.applyNetwork(got.value);
      return got;
    });
    this.network = fetched.then(
      () => undefined,
      (error: unknown) => this.noteError(`network: ${String(error)}`),
    );
    return fetched;
  }

  /** Stops the workload (the phone idles, still syncing and answering repairs). */
  stopWorkload(): void {
    this.generating = false;
  }

  /** Stops generating inputs, sends the power-off batch, waits for its ack. */
  async powerOff(timeoutMs: number): Promise<boolean> {
    this.generating = false;
    await this.network;
    this.step();
    this.poweredOff = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.sendAll(this.options.core.powerOff(this.nowMs()));
    const deadline = this.options.clock.nowMs() + timeoutMs;
    while (!this.options.core.allAcked && this.options.clock.nowMs() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, limits.livePhonePowerOffPollMs));
    }
    await this.link.close();
    // The acked state is the one a restart resumes from (nothing left to resend).
    if (this.options.core.allAcked) this.options.core.persist();
    return this.options.core.allAcked;
  }

  /** Drops the socket (tests: a flaky network); the link reconnects. */
  dropConnection(): void {
    this.link.drop();
  }

  async close(): Promise<void> {
    this.poweredOff = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.network.catch(() => undefined);
    await this.link.close();
  }

  private schedule(): void {
    const stepMs = this.options.stepMs ?? limits.livePhoneStepMsDefault;
    this.timer = setTimeout(() => {
      this.step();
      if (!this.poweredOff) this.schedule();
    }, stepMs);
  }

  private sendAll(frames: Uint8Array[]): void {
    if (frames.length === 0) return;
    // Unsent frames stay unacked in the SyncClient: sent again after the next Welcome.
    // Several at once (a backlog after a reconnect) go out as FrameBundles in one corked burst:
    // one WebSocket message for the server to read and decode instead of one per frame.
    const messages = frames.length === 1 ? frames : burstMessages(frames);
    const sent =
      messages.length === 1 ? (this.link.send(messages[0]!) ? 1 : 0) : this.link.sendMany(messages);
    assert(sent === 0 || sent === messages.length, "a burst is sent whole or not at all");
    for (let i = 0; i < sent; i++) this.uplinkBytes += messages[i]!.length;
  }

  private receive(bytes: Uint8Array): void {
    const replies = this.options.core.receive(bytes, this.nowMs());
    // Notices reach their service (which may keep them durably) before their acks leave.
    if (this.onNotices !== undefined) {
      const notices = this.options.core.takeNotices();
      if (notices.length > 0) this.onNotices(notices);
    }
    if (replies.ok) this.sendAll(replies.value);
    else this.noteError(`${replies.error.code}: ${replies.error.message}`);
  }

  private noteError(text: string): void {
    if (this.errors.length < limits.livePhoneErrorsKeptMax) this.errors.push(text);
    this.options.onServerError?.(text);
  }

  private queueNetwork(want: NetworkWant): void {
    this.pendingWants.push(want);
    // One failed delivery must not stop later ones (nor crash the process).
    this.network = this.network
      .then(() => this.fetchNext())
      .catch((error: unknown) => this.noteError(`network: ${String(error)}`));
  }

  /** Network inputs are fetched one at a time so the phone consumes them in index order. */
  private async fetchNext(): Promise<void> {
    const want = this.pendingWants.shift();
    assert(want !== undefined, "network queue underflow");
    // Powering off: deliveries not yet fetched simply never reach this phone.
    if (!this.generating) return;
    const proxy = this.proxyClient();
    for (let attempt = 0; attempt < fetchAttemptsMax && this.generating; attempt++) {
      const url = this.options.origin.park(want.payload);
      const got = await fetchThroughProxy(proxy, url, want);
      if (got.ok) {
        await this.consumeUpTo(proxy, got.value.index - 1);
        this.applyNetwork(got.value);
        this.networkFetches += 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, fetchRetryMs));
    }
    if (this.generating) this.noteError(`gave up fetching a ${want.kind} for ${want.app}`);
  }

  /** Inputs the server recorded but whose response was lost (server crash): fetch them again. */
  private async consumeUpTo(
    proxy: Parameters<typeof redeliverThroughProxy>[0],
    index: number,
  ): Promise<void> {
    for (let attempt = 0; this.core.networkConsumed < index && attempt < fetchAttemptsMax; attempt++) {
      const again = await redeliverThroughProxy(proxy, this.core.networkConsumed + 1);
      if (again.ok) this.applyNetwork(again.value);
      else await new Promise((resolve) => setTimeout(resolve, fetchRetryMs));
    }
  }

  private applyNetwork(input: Parameters<PhoneCore["applyNetwork"]>[0]): void {
    if (input.index <= this.core.networkConsumed) return;
    const applied = this.core.applyNetwork(input);
    if (!applied.ok) this.noteError(`${applied.error.code}: ${applied.error.message}`);
  }
}
