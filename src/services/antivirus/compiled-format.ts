// The compiled-database cache format (issue 8: beat clamscan's load time): a
// loaded ScanEngine serialized as its typed arrays and UTF-8 byte sections, so
// loading an unchanged database is a read and a few views — no parsing, no
// per-signature objects. Pure bytes in, bytes out; the runtime decides where
// the file lives and keys it by the databases' content hash.
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { BodyMatcher } from "./body-matcher.ts";
import { type HashBucket, HashTable, hashAlgorithms } from "./hash-table.ts";
import { ScanEngine } from "./scan-engine.ts";
import type { HashAlgorithm } from "./signature.ts";

const magic = "MCAVDB04";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
type Section = Int32Array | Uint32Array | Float64Array | Uint8Array;

interface Header {
  version: string;
  bitmapBits: number;
  slotBits: number;
  /** Byte length of each section, in writing order; each starts 8-aligned. */
  sections: number[];
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function sectionsOf(engine: ScanEngine): Section[] {
  const a = engine.body.arrays;
  const g = a.grams;
  const buckets = hashAlgorithms.map((h) => engine.hashes.buckets[h]);
  return [
    a.sourceStarts,
    a.anchorPart,
    a.anchorAt,
    g.bitmap,
    g.slotKeys,
    g.slotStart,
    g.slotCount,
    g.entries,
    a.shortGrams,
    a.shortIds,
    ...buckets.flatMap((b) => [b.digests, b.sizes, b.nameStarts, b.names]),
    a.sources,
  ];
}

export function serializeEngine(engine: ScanEngine): Uint8Array {
  const sections = sectionsOf(engine);
  const g = engine.body.arrays.grams;
  const header: Header = {
    version: engine.version,
    bitmapBits: g.bitmapBits,
    slotBits: g.slotBits,
    sections: sections.map((s) => s.byteLength),
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const headerEnd = align8(magic.length + 4 + headerBytes.length);
  const total = headerEnd + sections.reduce((sum, s) => sum + align8(s.byteLength), 0);
  const out = new Uint8Array(total);
  out.set(encoder.encode(magic), 0);
  new DataView(out.buffer).setUint32(magic.length, headerBytes.length, true);
  out.set(headerBytes, magic.length + 4);
  let at = headerEnd;
  for (const section of sections) {
    out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), at);
    at += align8(section.byteLength);
  }
  assert(at === total, "sections fill the file");
  return out;
}

function readHeader(data: Uint8Array): Result<{ header: Header; start: number }> {
  if (data.length < magic.length + 4 || decoder.decode(data.subarray(0, magic.length)) !== magic) {
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad magic");
  }
  const headerLength = new DataView(data.buffer, data.byteOffset).getUint32(magic.length, true);
  try {
    const header = JSON.parse(
      decoder.decode(data.subarray(magic.length + 4, magic.length + 4 + headerLength)),
    ) as Header;
    return ok({ header, start: align8(magic.length + 4 + headerLength) });
  } catch {
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad header");
  }
}

export function deserializeEngine(bytes: Uint8Array): Result<ScanEngine> {
  const data = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const read = readHeader(data);
  if (!read.ok) return read;
  const { header } = read.value;
  let at = read.value.start;
  const total = at + header.sections.reduce((sum, s) => sum + align8(s), 0);
  if (header.sections.length !== 23 || total !== data.length) {
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad layout");
  }
  const views = header.sections.map((length) => {
    const view = { offset: data.byteOffset + at, length };
    at += align8(length);
    return view;
  });
  const i32 = (k: number) => new Int32Array(data.buffer, views[k]!.offset, views[k]!.length / 4);
  const f64 = (k: number) => new Float64Array(data.buffer, views[k]!.offset, views[k]!.length / 8);
  const u8 = (k: number) => new Uint8Array(data.buffer, views[k]!.offset, views[k]!.length);
  const bucket = (k: number, algorithm: HashAlgorithm): HashBucket => ({
    digestBytes: { md5: 16, sha1: 20, sha256: 32 }[algorithm],
    digests: u8(10 + k * 4),
    sizes: f64(11 + k * 4),
    nameStarts: i32(12 + k * 4),
    names: u8(13 + k * 4),
  });
  const body = BodyMatcher.fromArrays({
    sources: u8(22),
    sourceStarts: i32(0),
    anchorPart: i32(1),
    anchorAt: i32(2),
    grams: {
      bitmapBits: header.bitmapBits,
      bitmap: new Uint32Array(data.buffer, views[3]!.offset, views[3]!.length / 4),
      slotBits: header.slotBits,
      slotKeys: i32(4),
      slotStart: i32(5),
      slotCount: i32(6),
      entries: i32(7),
    },
    shortGrams: i32(8),
    shortIds: i32(9),
  });
  const hashes = HashTable.fromBuckets({
    md5: bucket(0, "md5"),
    sha1: bucket(1, "sha1"),
    sha256: bucket(2, "sha256"),
  });
  return ok(new ScanEngine(header.version, body, hashes));
}
