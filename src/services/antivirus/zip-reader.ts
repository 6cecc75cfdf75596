// Reads the entries of ZIP/APK archives so the scanner can look inside them
// as clamscan does by default (paper §5.2 scans folders of APKs). Only what
// scanning needs: the central directory, stored and deflate entries. Entries
// it cannot open (encrypted, other methods, ZIP64, damaged) are listed with a
// reason; the archive's own bytes are still scanned raw by the caller.
import { inflateSync } from "fflate";
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";

export type ZipEntry =
  | { name: string; kind: "data"; bytes: Uint8Array }
  | { name: string; kind: "skipped"; reason: string };

const localHeaderSignature = 0x04034b50;
const centralHeaderSignature = 0x02014b50;
const endOfDirectorySignature = 0x06054b50;
const endOfDirectoryBytes = 22;
const commentBytesMax = 0xffff;

export function looksLikeZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

function u16(d: Uint8Array, at: number): number {
  return d[at]! | (d[at + 1]! << 8);
}

function u32(d: Uint8Array, at: number): number {
  return (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0;
}

function findEndOfDirectory(data: Uint8Array): number {
  const lowest = Math.max(0, data.length - endOfDirectoryBytes - commentBytesMax);
  for (let at = data.length - endOfDirectoryBytes; at >= lowest; at--) {
    if (u32(data, at) === endOfDirectorySignature) return at;
  }
  return -1;
}

const decoder = new TextDecoder("utf-8");

function entryData(data: Uint8Array, header: number): ZipEntry {
  const method = u16(data, header + 10);
  const flags = u16(data, header + 8);
  const compressed = u32(data, header + 20);
  const uncompressed = u32(data, header + 24);
  const nameLength = u16(data, header + 28);
  const name = decoder.decode(data.subarray(header + 46, header + 46 + nameLength));
  const local = u32(data, header + 42);
  if ((flags & 1) !== 0) return { name, kind: "skipped", reason: "encrypted" };
  if (compressed === 0xffffffff || uncompressed === 0xffffffff)
    return { name, kind: "skipped", reason: "zip64" };
  if (uncompressed > limits.archiveEntryBytesMax) return { name, kind: "skipped", reason: "entry too large" };
  if (local + 30 > data.length || u32(data, local) !== localHeaderSignature) {
    return { name, kind: "skipped", reason: "bad local header" };
  }
  const start = local + 30 + u16(data, local + 26) + u16(data, local + 28);
  if (start + compressed > data.length) return { name, kind: "skipped", reason: "truncated" };
  const raw = data.subarray(start, start + compressed);
  if (method === 0) return { name, kind: "data", bytes: raw };
  if (method !== 8) return { name, kind: "skipped", reason: `compression method ${method}` };
  try {
    return { name, kind: "data", bytes: inflateSync(raw, { out: new Uint8Array(uncompressed) }) };
  } catch {
    return { name, kind: "skipped", reason: "bad deflate stream" };
  }
}

/** The archive's entries in central-directory order; undefined when it has no readable directory. */
export function readZipEntries(data: Uint8Array): ZipEntry[] | undefined {
  const end = findEndOfDirectory(data);
  if (end < 0) return undefined;
  const count = u16(data, end + 10);
  let header = u32(data, end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count && i < limits.archiveEntriesMax; i++) {
    if (header + 46 > data.length || u32(data, header) !== centralHeaderSignature) return entries;
    const next = header + 46 + u16(data, header + 28) + u16(data, header + 30) + u16(data, header + 32);
    const entry = entryData(data, header);
    const isDirectory = entry.name.endsWith("/");
    if (!isDirectory) entries.push(entry);
    assert(next > header, "central directory walk advances");
    header = next;
  }
  assert(entries.length <= limits.archiveEntriesMax, "entry bound");
  return entries;
}
