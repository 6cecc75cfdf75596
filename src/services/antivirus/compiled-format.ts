// The compiled-database cache format (paper §5.2; beats clamscan's load time):
// a loaded ScanEngine serialized as its prefilter typed arrays plus the
// signature text, so a server or CLI run with an unchanged database skips
// parsing and index building. Pure bytes in, bytes out; the runtime decides
// where the file lives and keys it by the databases' content hash.
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { BodyMatcher } from "./body-matcher.ts";
import { HashTable } from "./hash-table.ts";
import { ScanEngine } from "./scan-engine.ts";
import type { HashAlgorithm, HashSignature } from "./signature.ts";

const magic = "MCAVDB02";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Header {
  version: string;
  bitmapBits: number;
  slotBits: number;
  /** Byte length of each section, in writing order. */
  sections: number[];
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export function serializeEngine(engine: ScanEngine): Uint8Array {
  const a = engine.body.arrays;
  const hashLines: string[] = [];
  for (const [algorithm, digest, size, name] of engine.hashes.entries())
    hashLines.push(`${algorithm}:${digest}:${size}:${name}`);
  const text = encoder.encode(
    [a.names.join("\n"), a.offsets.join("\n"), a.hexes.join("\n"), hashLines.join("\n")].join("\u0000"),
  );
  const arrays = [
    a.anchorPart,
    a.anchorAt,
    a.anchorLong,
    a.grams.bitmap,
    a.grams.slotKeys,
    a.grams.slotStart,
    a.grams.slotCount,
    a.grams.entries,
    a.shortGrams,
    a.shortIds,
  ];
  const sections = [...arrays.map((x) => x.byteLength), text.byteLength];
  const header: Header = {
    version: engine.version,
    bitmapBits: a.grams.bitmapBits,
    slotBits: a.grams.slotBits,
    sections,
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const headerEnd = align4(magic.length + 4 + headerBytes.length);
  const total = headerEnd + sections.reduce((sum, s) => sum + align4(s), 0);
  const out = new Uint8Array(total);
  out.set(encoder.encode(magic), 0);
  new DataView(out.buffer).setUint32(magic.length, headerBytes.length, true);
  out.set(headerBytes, magic.length + 4);
  let at = headerEnd;
  for (const section of [...arrays, text]) {
    out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), at);
    at += align4(section.byteLength);
  }
  assert(at === total, "sections fill the file");
  return out;
}

function parseHashLines(text: string): HashSignature[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const [algorithm, digestHex, size, ...name] = line.split(":");
    return {
      algorithm: algorithm as HashAlgorithm,
      digestHex: digestHex!,
      size: size === "-1" ? undefined : Number(size),
      name: name.join(":"),
    };
  });
}

function splitLines(text: string | undefined, count: number): string[] {
  const lines = count === 0 ? [] : (text ?? "").split("\n");
  assert(lines.length === count, "cached signature table has the expected size");
  return lines;
}

export function deserializeEngine(bytes: Uint8Array): Result<ScanEngine> {
  if (bytes.length < magic.length + 4 || decoder.decode(bytes.subarray(0, magic.length)) !== magic) {
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad magic");
  }
  const data = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const headerLength = new DataView(data.buffer, data.byteOffset).getUint32(magic.length, true);
  let header: Header;
  try {
    header = JSON.parse(
      decoder.decode(data.subarray(magic.length + 4, magic.length + 4 + headerLength)),
    ) as Header;
  } catch {
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad header");
  }
  let at = align4(magic.length + 4 + headerLength);
  const total = at + header.sections.reduce((sum, s) => sum + align4(s), 0);
  if (header.sections.length !== 11 || total !== data.length)
    return fail(ErrorCodes.FILE_CORRUPT, "compiled database: bad layout");
  const views: Uint8Array[] = header.sections.map((length) => {
    const view = data.subarray(at, at + length);
    at += align4(length);
    return view;
  });
  const i32 = (k: number) => new Int32Array(views[k]!.buffer, views[k]!.byteOffset, views[k]!.byteLength / 4);
  const [names, offsets, hexes, hashText] = decoder.decode(views[10]).split("\u0000");
  const count = views[0]!.byteLength / 4;
  const body = BodyMatcher.fromArrays({
    names: splitLines(names, count),
    offsets: splitLines(offsets, count),
    hexes: splitLines(hexes, count),
    anchorPart: i32(0),
    anchorAt: i32(1),
    anchorLong: views[2]!,
    grams: {
      bitmapBits: header.bitmapBits,
      bitmap: new Uint32Array(views[3]!.buffer, views[3]!.byteOffset, views[3]!.byteLength / 4),
      slotBits: header.slotBits,
      slotKeys: i32(4),
      slotStart: i32(5),
      slotCount: i32(6),
      entries: i32(7),
    },
    shortGrams: i32(8),
    shortIds: i32(9),
  });
  return ok(new ScanEngine(header.version, body, new HashTable(parseHashLines(hashText ?? ""))));
}
