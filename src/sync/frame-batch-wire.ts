// The protobuf wire form of the two frames of every sync window, written and
// read by hand: Frame{version, batch: SyncBatch}, the one frame a phone sends
// every t_syn_int, and Frame{version, ack: Ack}, the server's answer to it
// (paper §3.3.2; proto/mirrorcell/v1/sync.proto). protobuf-es walks the schema
// by reflection on every message, which cost as much per batch as the events
// inside it (and the ack's reflection was ~4 % of the simulator's CPU). The
// encoders write exactly the bytes toBinary writes; the decoders accept only
// the canonical form (fields once, in number order, no unknown fields, ASCII
// device id, numbers below 2^49) and yield exactly what fromBinary yields.
// Anything else returns undefined and frame.ts falls back to protobuf-es.
import { assert } from "../core/assert.ts";
import type { Ack, Frame, SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";

export const frameVersionTag = 0x08;
export const frameBatchTag = 0x32;
const frameAckTag = 0x3a;
// Ack fields: device_id (1), acked_seq (2).
const ackDeviceIdTag = 0x0a;
const ackedSeqTag = 0x10;
// SyncBatch fields as (number << 3 | wire type); events (6) is never taken here.
const deviceIdTag = 0x0a;
const firstSeqTag = 0x10;
const lastSeqTag = 0x18;
const windowStartMsTag = 0x20;
const windowEndMsTag = 0x28;
const codecTag = 0x38;
const eventsPackedTag = 0x42;
const networkConsumedTag = 0x48;
const storageDigestTag = 0x52;
const u64Max = 2n ** 64n - 1n;
/** Varints of up to 7 bytes (values below 2^49) decode exactly in a double. */
const fastVarintBytesMax = 7;
const uint32Max = 0xffffffff;
const int32Max = 0x7fffffff;

export function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

function u64Size(value: bigint): number {
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return varintSize(Number(value));
  let size = 1;
  for (let rest = value; rest >= 0x80n; rest >>= 7n) size++;
  return size;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function hasUnknown(message: object): boolean {
  const unknown = (message as { $unknown?: unknown[] }).$unknown;
  return unknown !== undefined && unknown.length > 0;
}

/** Writes protobuf wire fields into a buffer of a size computed beforehand. */
export class Sink {
  readonly bytes: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  varint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.at++] = rest;
  }
  u64(tag: number, value: bigint): void {
    if (value === 0n) return;
    this.bytes[this.at++] = tag;
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.varint(Number(value));
      return;
    }
    let rest = value;
    for (; rest >= 0x80n; rest >>= 7n) this.bytes[this.at++] = Number(rest & 0x7fn) | 0x80;
    this.bytes[this.at++] = Number(rest);
  }
  lengthDelimited(tag: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.bytes[this.at++] = tag;
    this.varint(data.length);
    this.bytes.set(data, this.at);
    this.at += data.length;
  }
  ascii(tag: number, text: string): void {
    if (text.length === 0) return;
    this.bytes[this.at++] = tag;
    this.varint(text.length);
    for (let i = 0; i < text.length; i++) this.bytes[this.at++] = text.charCodeAt(i);
  }
}

/** The u64 fields by name, not `b[field]` over a list: string-keyed loads went megamorphic. */
function u64FieldsSize(b: SyncBatch): number {
  return (
    u64FieldSize(b.firstSeq) +
    u64FieldSize(b.lastSeq) +
    u64FieldSize(b.windowStartMs) +
    u64FieldSize(b.windowEndMs) +
    u64FieldSize(b.networkConsumed)
  );
}

function u64FieldSize(value: bigint): number {
  return value === 0n ? 0 : 1 + u64Size(value);
}

function isU64(value: bigint): boolean {
  return value >= 0n && value <= u64Max;
}

function batchSize(b: SyncBatch): number {
  let size = 0;
  if (b.deviceId.length > 0) size += 1 + varintSize(b.deviceId.length) + b.deviceId.length;
  size += u64FieldsSize(b);
  if (b.codec !== 0) size += 1 + varintSize(b.codec);
  if (b.eventsPacked.length > 0) size += 1 + varintSize(b.eventsPacked.length) + b.eventsPacked.length;
  if (b.storageDigest.length > 0) size += 1 + varintSize(b.storageDigest.length) + b.storageDigest.length;
  return size;
}

function encodable(b: SyncBatch): boolean {
  if (b.events.length > 0 || hasUnknown(b) || !isAscii(b.deviceId)) return false;
  if (!isU64(b.firstSeq) || !isU64(b.lastSeq) || !isU64(b.windowStartMs)) return false;
  if (!isU64(b.windowEndMs) || !isU64(b.networkConsumed)) return false;
  return Number.isInteger(b.codec) && b.codec >= 0 && b.codec <= int32Max;
}

function writeBatchFields(sink: Sink, b: SyncBatch): void {
  sink.ascii(deviceIdTag, b.deviceId);
  sink.u64(firstSeqTag, b.firstSeq);
  sink.u64(lastSeqTag, b.lastSeq);
  sink.u64(windowStartMsTag, b.windowStartMs);
  sink.u64(windowEndMsTag, b.windowEndMs);
  if (b.codec !== 0) {
    sink.bytes[sink.at++] = codecTag;
    sink.varint(b.codec);
  }
  sink.lengthDelimited(eventsPackedTag, b.eventsPacked);
  sink.u64(networkConsumedTag, b.networkConsumed);
  sink.lengthDelimited(storageDigestTag, b.storageDigest);
}

/** toBinary(FrameSchema, frame) for a batch frame, or undefined when the frame is not one this covers. */
export function encodeBatchFrame(frame: Frame): Uint8Array | undefined {
  if (frame.body.case !== "batch" || hasUnknown(frame) || !encodable(frame.body.value)) return undefined;
  if (!Number.isInteger(frame.version) || frame.version < 0 || frame.version > uint32Max) return undefined;
  const inner = batchSize(frame.body.value);
  const versionSize = frame.version === 0 ? 0 : 1 + varintSize(frame.version);
  const sink = new Sink(versionSize + 1 + varintSize(inner) + inner);
  if (frame.version !== 0) {
    sink.bytes[sink.at++] = frameVersionTag;
    sink.varint(frame.version);
  }
  sink.bytes[sink.at++] = frameBatchTag;
  sink.varint(inner);
  writeBatchFields(sink, frame.body.value);
  assert(sink.at === sink.bytes.length, "batch frame size computed exactly");
  return sink.bytes;
}

/** toBinary(SyncBatchSchema, batch) (the bytes a server stores), or undefined when not covered. */
export function encodeSyncBatch(batch: SyncBatch): Uint8Array | undefined {
  if (!encodable(batch)) return undefined;
  const sink = new Sink(batchSize(batch));
  writeBatchFields(sink, batch);
  assert(sink.at === sink.bytes.length, "batch size computed exactly");
  return sink.bytes;
}

/** Reads within [at, end); -1 marks anything outside the canonical form (the caller falls back). */
/** Reads protobuf wire fields from [at, end) of a buffer; a bad field reads as -1 / undefined. */
export class Source {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < fastVarintBytesMax && this.at < this.end; i++) {
      const b = this.bytes[this.at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    return -1;
  }
  /** A length-delimited field's bytes (a view, as protobuf-es gives), or undefined. */
  view(): Uint8Array | undefined {
    const length = this.varint();
    if (length < 0 || length > this.end - this.at) return undefined;
    this.at += length;
    return this.bytes.subarray(this.at - length, this.at);
  }
  /** A length-delimited ASCII string field (the only device ids the fast path covers), or undefined. */
  ascii(): string | undefined {
    const view = this.view();
    if (view === undefined) return undefined;
    let text = "";
    for (let i = 0; i < view.length; i++) {
      if (view[i]! >= 0x80) return undefined;
      text += String.fromCharCode(view[i]!);
    }
    return text;
  }
}

/**
 * The empty bytes of an absent field, shared: a canonical batch carries both of its bytes fields,
 * and `new Uint8Array(0)` costs ~230 ns on Node 20 (an external backing store each: two per
 * decoded batch were ~7 % of the decode-and-validate path). Zero-length, so nobody can write to it.
 */
const noBytes = new Uint8Array(0);

function emptyBatch(): SyncBatch {
  return {
    $typeName: "mirrorcell.v1.SyncBatch",
    deviceId: "",
    firstSeq: 0n,
    lastSeq: 0n,
    windowStartMs: 0n,
    windowEndMs: 0n,
    events: [],
    codec: 0,
    eventsPacked: noBytes,
    networkConsumed: 0n,
    storageDigest: noBytes,
  };
}

/** One SyncBatch field into `b`; false when it is not in the canonical form. */
function readBatchField(src: Source, tag: number, b: SyncBatch): boolean {
  if (tag === deviceIdTag) {
    const text = src.ascii();
    if (text === undefined) return false;
    b.deviceId = text;
    return true;
  }
  if (tag === eventsPackedTag || tag === storageDigestTag) {
    const view = src.view();
    if (view === undefined) return false;
    if (tag === eventsPackedTag) b.eventsPacked = view;
    else b.storageDigest = view;
    return true;
  }
  const value = src.varint();
  if (value < 0) return false;
  if (tag === firstSeqTag) b.firstSeq = BigInt(value);
  else if (tag === lastSeqTag) b.lastSeq = BigInt(value);
  else if (tag === windowStartMsTag) b.windowStartMs = BigInt(value);
  else if (tag === windowEndMsTag) b.windowEndMs = BigInt(value);
  else if (tag === networkConsumedTag) b.networkConsumed = BigInt(value);
  else if (tag === codecTag && value <= int32Max) b.codec = value;
  else return false;
  return true;
}

/** The SyncBatch fields in [src.at, src.end), or undefined outside the canonical form. */
function readBatch(src: Source): SyncBatch | undefined {
  const batch = emptyBatch();
  let previousTag = 0;
  while (src.at < src.end) {
    const tag = src.bytes[src.at++]!;
    // One-byte tags in increasing order: every field at most once, none unknown.
    if (tag <= previousTag || tag >= 0x80) return undefined;
    previousTag = tag;
    if (!readBatchField(src, tag, batch)) return undefined;
  }
  assert(src.at === src.end, "a batch read to its end");
  return batch;
}

/**
 * Starts like a batch frame of this one-byte version (version, then the batch
 * field): a check without decoding. Not validation: decodeFrame may still
 * refuse a frame this accepts.
 */
export function looksLikeBatchFrame(bytes: Uint8Array, version: number): boolean {
  assert(version > 0 && version < 0x80, "a one-byte version varint");
  return (
    bytes.length > 2 && bytes[0] === frameVersionTag && bytes[1] === version && bytes[2] === frameBatchTag
  );
}

/**
 * A canonical Frame holding one field `tag` (after an optional version):
 * the source positioned at that field's body, which runs to the frame's end.
 */
function openFrame(bytes: Uint8Array, tag: number): { src: Source; version: number } | undefined {
  const src = new Source(bytes, 0, bytes.length);
  let version = 0;
  if (bytes[0] === frameVersionTag) {
    src.at = 1;
    version = src.varint();
    if (version < 0 || version > uint32Max) return undefined;
  }
  if (src.at >= bytes.length || bytes[src.at] !== tag) return undefined;
  src.at++;
  const inner = src.varint();
  if (inner < 0 || src.at + inner !== bytes.length) return undefined;
  return { src, version };
}

/** fromBinary(FrameSchema, bytes) for a canonical batch frame, or undefined for anything else. */
export function decodeBatchFrame(bytes: Uint8Array): Frame | undefined {
  const body = openFrame(bytes, frameBatchTag);
  if (body === undefined) return undefined;
  const { src, version } = body;
  const batch = readBatch(src);
  if (batch === undefined) return undefined;
  return { $typeName: "mirrorcell.v1.Frame", version, body: { case: "batch", value: batch } };
}

/**
 * The SyncBatch message inside a batch frame of the canonical shape (version,
 * then the batch field running to the frame's end), as a view into `bytes`;
 * undefined for any other frame. A server stores these bytes as received
 * rather than re-encoding the batch it decoded (the live runtime does the
 * same): the phone's encoder wrote them, and they decode to the same batch.
 */
export function batchMessageView(bytes: Uint8Array): Uint8Array | undefined {
  const body = openFrame(bytes, frameBatchTag);
  if (body === undefined) return undefined;
  assert(body.src.end === bytes.length, "a batch field runs to the frame's end");
  return bytes.subarray(body.src.at, body.src.end);
}

/** fromBinary(SyncBatchSchema, bytes) for a canonical batch, or undefined for anything else. */
export function decodeSyncBatch(bytes: Uint8Array): SyncBatch | undefined {
  return readBatch(new Source(bytes, 0, bytes.length));
}

function ackSize(deviceId: string, ackedSeq: bigint): number {
  const id = deviceId.length;
  return (id > 0 ? 1 + varintSize(id) + id : 0) + (ackedSeq !== 0n ? 1 + u64Size(ackedSeq) : 0);
}

/** toBinary(FrameSchema, frame) for an ack frame, or undefined when the frame is not one this covers. */
export function encodeAckFrame(frame: Frame): Uint8Array | undefined {
  if (frame.body.case !== "ack" || hasUnknown(frame)) return undefined;
  const ack = frame.body.value;
  if (hasUnknown(ack)) return undefined;
  return encodeAck(frame.version, ack.deviceId, ack.ackedSeq);
}

/**
 * encodeAck with the acked number as a number (a safe integer): the same
 * bytes without a BigInt per ack (creating and comparing one are runtime
 * calls), or undefined where encodeAck gives undefined.
 */
export function encodeAckNumber(version: number, deviceId: string, acked: number): Uint8Array | undefined {
  if (!Number.isSafeInteger(acked) || acked < 0 || !isAscii(deviceId)) return undefined;
  if (!Number.isInteger(version) || version < 0 || version > uint32Max) return undefined;
  const id = deviceId.length;
  const inner = (id > 0 ? 1 + varintSize(id) + id : 0) + (acked !== 0 ? 1 + varintSize(acked) : 0);
  const sink = ackFrameUpToSeq(version, deviceId, inner);
  if (acked !== 0) {
    sink.bytes[sink.at++] = ackedSeqTag;
    sink.varint(acked);
  }
  assert(sink.at === sink.bytes.length, "ack frame size computed exactly");
  return sink.bytes;
}

/**
 * An ack frame's bytes from its fields (no Frame object: the live server
 * sends one per phone per group commit), or undefined outside what this
 * covers (a non-ASCII device id, a value out of range).
 */
export function encodeAck(version: number, deviceId: string, ackedSeq: bigint): Uint8Array | undefined {
  if (!isAscii(deviceId) || ackedSeq < 0n || ackedSeq > u64Max) return undefined;
  if (!Number.isInteger(version) || version < 0 || version > uint32Max) return undefined;
  const sink = ackFrameUpToSeq(version, deviceId, ackSize(deviceId, ackedSeq));
  sink.u64(ackedSeqTag, ackedSeq);
  assert(sink.at === sink.bytes.length, "ack frame size computed exactly");
  return sink.bytes;
}

/** A sink sized for an ack frame whose Ack body is `inner` bytes, written up to the acked seq field. */
function ackFrameUpToSeq(version: number, deviceId: string, inner: number): Sink {
  const versionSize = version === 0 ? 0 : 1 + varintSize(version);
  const sink = new Sink(versionSize + 1 + varintSize(inner) + inner);
  if (version !== 0) {
    sink.bytes[sink.at++] = frameVersionTag;
    sink.varint(version);
  }
  sink.bytes[sink.at++] = frameAckTag;
  sink.varint(inner);
  sink.ascii(ackDeviceIdTag, deviceId);
  return sink;
}

/**
 * The acked number of a canonical ack frame of protocol `version` (a frame
 * decodeAckFrame takes), or -1 for anything else. Only the number: a phone
 * takes an ack per batch and needs no Frame, device id string or BigInt.
 */
export function ackedNumberOfAckFrame(bytes: Uint8Array, version: number): number {
  const src = new Source(bytes, 0, bytes.length);
  let framed = 0;
  if (bytes[0] === frameVersionTag) {
    src.at = 1;
    framed = src.varint();
  }
  if (framed !== version || src.at >= bytes.length || bytes[src.at] !== frameAckTag) return -1;
  src.at++;
  const inner = src.varint();
  if (inner < 0 || src.at + inner !== bytes.length) return -1;
  if (src.at < src.end && bytes[src.at] === ackDeviceIdTag) {
    src.at++;
    // skipped, but only when decodeAckFrame would take it: ASCII
    const length = src.varint();
    if (length < 0 || length > src.end - src.at) return -1;
    for (let i = src.at; i < src.at + length; i++) if (bytes[i]! >= 0x80) return -1;
    src.at += length;
  }
  let acked = 0;
  if (src.at < src.end && bytes[src.at] === ackedSeqTag) {
    src.at++;
    acked = src.varint();
    if (acked < 0) return -1;
  }
  return src.at === src.end ? acked : -1;
}

/** fromBinary(FrameSchema, bytes) for a canonical ack frame, or undefined for anything else. */
export function decodeAckFrame(bytes: Uint8Array): Frame | undefined {
  const body = openFrame(bytes, frameAckTag);
  if (body === undefined) return undefined;
  const { src, version } = body;
  const ack: Ack = { $typeName: "mirrorcell.v1.Ack", deviceId: "", ackedSeq: 0n };
  if (src.at < src.end && bytes[src.at] === ackDeviceIdTag) {
    src.at++;
    const text = src.ascii();
    if (text === undefined) return undefined;
    ack.deviceId = text;
  }
  if (src.at < src.end && bytes[src.at] === ackedSeqTag) {
    src.at++;
    const value = src.varint();
    if (value < 0) return undefined;
    ack.ackedSeq = BigInt(value);
  }
  if (src.at !== src.end) return undefined;
  return { $typeName: "mirrorcell.v1.Frame", version, body: { case: "ack", value: ack } };
}
