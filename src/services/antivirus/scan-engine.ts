// Scans one object (a file or a blob) with a loaded database, the way
// clamscan does by default (paper §5.2): ZIP/APK entries first, depth-first,
// then the object's own bytes against body signatures, then its hashes. The
// first detection in that order is what clamscan reports without
// --allmatch; with allMatch every distinct signature is reported.
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { BodyMatcher } from "./body-matcher.ts";
import type { HashFactory } from "./hash-ports.ts";
import type { HashTable } from "./hash-table.ts";
import { looksLikeZip, readZipEntries } from "./zip-reader.ts";

/** clamscan does not scan objects of 5 bytes or less (limits.scanObjectBytesMin; kept for importers). */
export const objectBytesMin = limits.scanObjectBytesMin;

export interface Detection {
  name: string;
  /** Entry names from the outer archive inward; empty for the object itself. */
  inside: string[];
}

export interface ScanResult {
  detections: Detection[];
  /** Objects scanned: the object itself plus every archive entry opened. */
  objectsScanned: number;
  bytesScanned: number;
  /** Archive entries that could not be opened, e.g. "a.apk!x.dex: encrypted". */
  notes: string[];
}

export interface ScanOptions {
  allMatch?: boolean;
}

export class ScanEngine {
  constructor(
    /** Identifies the database content: verdict caches key on it. */
    readonly version: string,
    readonly body: BodyMatcher,
    readonly hashes: HashTable,
  ) {
    assert(version.length > 0, "a database version is required");
    assert(body.size + hashes.size > 0, "an engine needs at least one signature");
  }

  scan(data: Uint8Array, hash: HashFactory, options: ScanOptions = {}): ScanResult {
    const result: ScanResult = { detections: [], objectsScanned: 0, bytesScanned: 0, notes: [] };
    this.scanObject(data, [], hash, options.allMatch === true, result);
    if (options.allMatch === true) {
      // One detection per signature name, the first found (clamscan -z repeats them).
      const first = new Map<string, Detection>();
      for (const d of result.detections) if (!first.has(d.name)) first.set(d.name, d);
      result.detections = [...first.values()];
    }
    assert(
      options.allMatch === true || result.detections.length <= 1,
      "without allMatch, one detection at most",
    );
    return result;
  }

  private scanObject(
    data: Uint8Array,
    inside: string[],
    hash: HashFactory,
    all: boolean,
    out: ScanResult,
  ): void {
    assert(inside.length <= limits.archiveDepthMax, "archive depth bound");
    if (data.length < limits.scanObjectBytesMin) return;
    out.objectsScanned++;
    out.bytesScanned += data.length;
    if (inside.length < limits.archiveDepthMax && looksLikeZip(data)) {
      for (const entry of readZipEntries(data) ?? []) {
        if (entry.kind === "skipped") {
          out.notes.push(`${[...inside, entry.name].join("!")}: ${entry.reason}`);
          continue;
        }
        this.scanObject(entry.bytes, [...inside, entry.name], hash, all, out);
        if (!all && out.detections.length > 0) return;
      }
    }
    for (const match of this.body.scan(data)) {
      out.detections.push({ name: this.body.name(match.id), inside });
      if (!all) return;
    }
    for (const algorithm of this.hashes.algorithms) {
      const hasher = hash(algorithm);
      hasher.update(data);
      for (const name of this.hashes.lookup(algorithm, hasher.digestHex(), data.length)) {
        out.detections.push({ name, inside });
        if (!all) return;
      }
    }
  }
}
