// Stored (uncompressed) zip archives for generated packages (the shape of an
// APK, paper §5.1's installs), byte for byte what fflate's zipSync(entries,
// { level: 0, mtime }) writes: local headers, data, central directory, end
// record, no extra fields or comments. zipSync spent most of a package in
// its byte-at-a-time CRC-32 and in parsing the mtime string twice per entry;
// here the CRC takes eight bytes a step (slice-by-8 tables) and the time is
// one constant. workload.test.ts compares the two on random entries.
import { assert } from "../core/assert.ts";
import { utf8 } from "../core/bytes.ts";

export interface ZipEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Local header bytes before an entry's name; central directory entry bytes before its name; end record. */
const localHeaderBytes = 30;
const centralHeaderBytes = 46;
const endRecordBytes = 22;
/** Stored entries past 4 GiB or names past 64 KiB would need zip64, which this writer does not do. */
const entryBytesMax = 0xffff_ffff;
const entriesMax = 0xffff;

/** CRC-32 (IEEE, reflected 0xEDB88320) lookup tables for slice-by-8: table k is byte k positions back. */
const crcTables: Uint32Array = (() => {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let k = 1; k < 8; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
})();

/** The CRC-32 of `bytes` (as zip, gzip and PNG use it). */
export function crc32(bytes: Uint8Array): number {
  const t = crcTables;
  let crc = -1;
  let i = 0;
  const whole = bytes.length - (bytes.length % 8);
  for (; i < whole; i += 8) {
    const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * The MS-DOS date and time fields of a local time (what zip headers hold),
 * as fflate computes them: years from 1980, seconds halved.
 */
export function dosDateTime(local: {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}): number {
  const years = local.year - 1980;
  assert(years >= 0 && years <= 119, `dosDateTime: year ${local.year} out of the zip range`);
  return (
    ((years << 25) |
      (local.month << 21) |
      (local.day << 16) |
      (local.hours << 11) |
      (local.minutes << 5) |
      (local.seconds >> 1)) >>>
    0
  );
}

/** Writes `value` little-endian over `count` bytes at `at`. */
function put(out: Uint8Array, at: number, value: number, count: number): void {
  for (let i = 0; i < count; i++, value >>>= 8) out[at + i] = value & 0xff;
}

/** Header fields a local header and its central directory entry share, from "version needed" on. */
function putCommon(
  out: Uint8Array,
  at: number,
  dosTime: number,
  crc: number,
  size: number,
  nameLength: number,
): void {
  put(out, at, 20, 2); // version needed to extract: 2.0
  put(out, at + 2, 0, 2); // flags
  put(out, at + 4, 0, 2); // method: stored
  put(out, at + 6, dosTime, 4);
  put(out, at + 10, crc, 4);
  put(out, at + 14, size, 4); // compressed size = size
  put(out, at + 18, size, 4);
  put(out, at + 22, nameLength, 2);
  put(out, at + 24, 0, 2); // extra field length
}

/** A stored zip of `entries` in their order, every entry stamped `dosTime` (dosDateTime). */
export function storedZip(entries: readonly ZipEntry[], dosTime: number): Uint8Array {
  assert(entries.length <= entriesMax, `storedZip: ${entries.length} entries need zip64`);
  const names = entries.map((entry) => utf8(entry.name));
  let localTotal = 0;
  let centralTotal = 0;
  for (const [i, entry] of entries.entries()) {
    assert(names[i]!.length <= 0xffff && entry.bytes.length <= entryBytesMax, "storedZip: entry needs zip64");
    // the header's UTF-8 flag stays clear: ASCII names only (a non-ASCII one is longer in UTF-8)
    assert(names[i]!.length === entry.name.length, `storedZip: ${entry.name} is not ASCII`);
    localTotal += localHeaderBytes + names[i]!.length + entry.bytes.length;
    centralTotal += centralHeaderBytes + names[i]!.length;
  }
  const out = new Uint8Array(localTotal + centralTotal + endRecordBytes);
  let local = 0;
  let central = localTotal;
  for (const [i, entry] of entries.entries()) {
    const name = names[i]!;
    const { bytes } = entry;
    const crc = crc32(bytes);
    put(out, local, 0x04034b50, 4);
    putCommon(out, local + 4, dosTime, crc, bytes.length, name.length);
    out.set(name, local + localHeaderBytes);
    out.set(bytes, local + localHeaderBytes + name.length);
    put(out, central, 0x02014b50, 4);
    put(out, central + 4, 20, 2); // version made by: 2.0, MS-DOS
    putCommon(out, central + 6, dosTime, crc, bytes.length, name.length);
    // comment length, disk number, internal and external attributes: zero
    put(out, central + 42, local, 4);
    out.set(name, central + centralHeaderBytes);
    local += localHeaderBytes + name.length + bytes.length;
    central += centralHeaderBytes + name.length;
  }
  assert(local === localTotal && central === localTotal + centralTotal, "storedZip: layout");
  put(out, central, 0x06054b50, 4);
  put(out, central + 8, entries.length, 2); // entries on this disk
  put(out, central + 10, entries.length, 2);
  put(out, central + 12, centralTotal, 4);
  put(out, central + 16, localTotal, 4);
  return out;
}
