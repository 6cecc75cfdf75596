// The server's half of a live re-clone (paper §3.2 "a mirror from the phone's
// current state, the phone frozen during the copy"; issue 5: a phone that
// lost its data joins its used mirror). The Welcome decides whether a clone
// is needed; the phone, rebased onto the mirror's numbering, offers its
// manifest; only blobs the server lacks travel, in chunks; MirrorServer
// builds, checks and saves the mirror, and the SyncServer forgets the old
// history so replay continues from the clone. Sans-IO: frames in, frames out.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import {
  type CloneBlob,
  CloneDoneSchema,
  CloneNeedSchema,
  type CloneOffer,
  type Frame,
  FrameSchema,
  type Hello,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorServer } from "../mirror/mirror-server.ts";
import { PROTOCOL_VERSION } from "../sync/frame.ts";
import type { SyncServer } from "../sync/sync-server.ts";

/** The mirror's position a cloning phone continues from (sent in the Welcome). */
export interface MirrorHead {
  ackedBatchNo: number;
  ackedLastSeq: number;
  networkRecorded: number;
}

interface PendingBlob {
  sha256: Uint8Array;
  size: number;
  chunks: Uint8Array[];
  received: number;
}

interface PendingClone {
  blobs: Map<string, PendingBlob>;
  bytesExpected: number;
  bytesReceived: number;
}

export class CloneIntake {
  private readonly pending = new Map<string, PendingClone>();
  clonesCompleted = 0;

  constructor(
    private readonly mirrors: MirrorServer,
    private readonly server: SyncServer,
  ) {}

  /** Where the device's mirror stands: the numbering a re-cloned phone continues. */
  head(deviceId: string): MirrorHead {
    const store = this.mirrors.store;
    const ackedBatchNo = this.server.acked(deviceId);
    const checkpoint = store.getCheckpoint(deviceId);
    const lastSeq =
      checkpoint !== undefined && checkpoint.batchNo === ackedBatchNo
        ? checkpoint.lastSeq
        : store.getBatch(deviceId, ackedBatchNo)?.lastSeq;
    assert(lastSeq !== undefined, `the acked batch ${ackedBatchNo} of ${deviceId} is stored or checkpointed`);
    return { ackedBatchNo, ackedLastSeq: lastSeq, networkRecorded: this.networkRecorded(deviceId) };
  }

  /**
   * A used mirror and a phone state it does not follow: the phone says its
   * state is fresh (never synced: first boot without saved data, or lost
   * data), or it stands before what the server already acked, or the server
   * lost history the phone holds (see `historyLost`). A clone that was
   * interrupted is always started again.
   */
  required(deviceId: string, hello: Hello | undefined): boolean {
    if (this.mirrors.status(deviceId) === "cloning") return true;
    if (hello === undefined) return false;
    if (this.historyLost(deviceId, hello)) return true;
    if (hello.freshState === undefined && hello.lastBatchNo === undefined) return false;
    const store = this.mirrors.store;
    const acked = this.server.acked(deviceId);
    const checkpoint = store.getCheckpoint(deviceId);
    const used =
      acked > 0 ||
      store.networkCount(deviceId) > 0 ||
      store.getDevice(deviceId)?.origin === "clone" ||
      (checkpoint !== undefined && (checkpoint.batchNo > 0 || checkpoint.base.kind === "manifest"));
    if (!used) return false;
    return hello.freshState === true || Number(hello.lastBatchNo ?? BigInt(acked)) < acked;
  }

  /**
   * The phone holds as acked a batch, or has consumed a network input, that
   * the server does not have: its data dir was wiped or restored from an
   * older backup while the phone was away. Acks follow durability and a
   * network input is recorded before the phone gets it, so this never
   * happens otherwise; replay cannot bridge the hole (the phone dropped the
   * acked batches), so the mirror is re-cloned from the phone.
   */
  historyLost(deviceId: string, hello: Hello): boolean {
    const phoneAcked = hello.ackedBatchNo;
    if (phoneAcked !== undefined && phoneAcked > BigInt(this.server.acked(deviceId))) return true;
    const consumed = hello.networkConsumed;
    return consumed !== undefined && consumed > BigInt(this.networkRecorded(deviceId));
  }

  private networkRecorded(deviceId: string): number {
    const recorded = Math.max(this.mirrors.store.networkCount(deviceId), this.mirrors.networkBase(deviceId));
    assert(Number.isSafeInteger(recorded) && recorded >= 0, "network count");
    return recorded;
  }

  /** Clone step 1: the phone's manifest; answers the blobs the server lacks (or done when none). */
  offer(deviceId: string, model: string, offer: CloneOffer): Result<Frame[]> {
    if (offer.files.length > limits.cloneManifestFilesMax)
      return fail(ErrorCodes.PAYLOAD_TOO_LARGE, `Clone manifest of ${offer.files.length} files is too large`);
    const head = this.head(deviceId);
    if (Number(offer.batchNo) !== head.ackedBatchNo || Number(offer.lastSeq) !== head.ackedLastSeq) {
      return fail(
        ErrorCodes.SEQ_CONFLICT,
        `Clone offer at batch ${offer.batchNo} seq ${offer.lastSeq}, the mirror stands at batch ${head.ackedBatchNo} seq ${head.ackedLastSeq}`,
      );
    }
    if (Number(offer.networkConsumed) > head.networkRecorded) {
      return fail(
        ErrorCodes.NETWORK_INPUT_MISSING,
        `Clone offer consumed ${offer.networkConsumed} network inputs, ${head.networkRecorded} recorded`,
      );
    }
    const sizes = new Map<string, number>();
    for (const f of offer.files) sizes.set(toHex(f.sha256), Number(f.size));
    const begun = this.mirrors.beginClone(deviceId, model, {
      position: {
        batchNo: head.ackedBatchNo,
        lastSeq: head.ackedLastSeq,
        networkConsumed: Number(offer.networkConsumed),
        windowEndMs: Number(offer.windowEndMs),
      },
      digest: offer.storageDigest,
      files: offer.files.map((f) => ({ path: f.path, sha256: f.sha256, size: Number(f.size) })),
      emptyDirs: offer.emptyDirs,
      ...(offer.volatileState.length > 0 ? { volatileState: offer.volatileState } : {}),
    });
    if (!begun.ok) return begun;
    // The old history is superseded: nothing of it is replayed any more.
    this.server.forget(deviceId);
    const clone: PendingClone = { blobs: new Map(), bytesExpected: 0, bytesReceived: 0 };
    for (const sha of begun.value.missing) {
      const size = sizes.get(toHex(sha));
      assert(size !== undefined, "a missing blob comes from the offer");
      clone.blobs.set(toHex(sha), { sha256: sha, size, chunks: [], received: 0 });
      clone.bytesExpected += size;
    }
    if (clone.bytesExpected > limits.cloneBlobBytesMax) {
      this.pending.delete(deviceId);
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `Clone needs ${clone.bytesExpected} bytes of blobs, above the bound`,
      );
    }
    this.pending.set(deviceId, clone);
    if (clone.blobs.size === 0) return this.complete(deviceId, clone);
    const need = create(CloneNeedSchema, { missing: begun.value.missing });
    return ok([frameOf({ case: "cloneNeed", value: need })]);
  }

  /** Clone step 3: one chunk; the last one completes the clone. */
  blob(deviceId: string, chunk: CloneBlob): Result<Frame[]> {
    const clone = this.pending.get(deviceId);
    if (clone === undefined) return fail(ErrorCodes.MIRROR_UNKNOWN, `No clone in progress for ${deviceId}`);
    const blob = clone.blobs.get(toHex(chunk.sha256));
    if (blob === undefined)
      return fail(ErrorCodes.BLOB_CORRUPT, "Clone chunk of a blob that was not requested");
    if (Number(chunk.offset) !== blob.received || blob.received + chunk.data.length > blob.size) {
      return fail(
        ErrorCodes.BLOB_CORRUPT,
        `Clone chunk at ${chunk.offset} (+${chunk.data.length}) of a ${blob.size}-byte blob, ${blob.received} received`,
      );
    }
    blob.chunks.push(chunk.data.slice());
    blob.received += chunk.data.length;
    clone.bytesReceived += chunk.data.length;
    assert(clone.bytesReceived <= clone.bytesExpected, "clone received more than it needs");
    for (const b of clone.blobs.values()) if (b.received < b.size) return ok([]);
    return this.complete(deviceId, clone);
  }

  private complete(deviceId: string, clone: PendingClone): Result<Frame[]> {
    this.pending.delete(deviceId);
    const blobs = [...clone.blobs.values()].map((b) => concat(b.chunks, b.size));
    const done = this.mirrors.completeClone(deviceId, blobs);
    if (!done.ok) return done;
    this.server.forget(deviceId);
    this.clonesCompleted += 1;
    const head = this.head(deviceId);
    const value = create(CloneDoneSchema, {
      batchNo: BigInt(head.ackedBatchNo),
      blobsReceived: BigInt(done.value.blobsSent),
      blobBytesReceived: BigInt(done.value.blobBytesSent),
    });
    return ok([frameOf({ case: "cloneDone", value })]);
  }
}

function frameOf(body: Frame["body"]): Frame {
  return create(FrameSchema, { version: PROTOCOL_VERSION, body });
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === size) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  assert(at === size, "clone blob assembled to its size");
  return out;
}
