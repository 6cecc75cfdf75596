// Directory listings with Merkle subtree digests, the unit of the divergence
// repair exchange (DESIGN.md "Sync protocol": a Merkle diff that fetches only
// the differing blobs). Phone and mirror compute listings with this same
// code, so their digests are comparable whatever the platform hashes inside.
import { assert } from "../core/assert.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { TreeView } from "../mirror/platform-port.ts";
import { ByteCodecError, ByteReader, ByteWriter } from "./byte-codec.ts";

export interface ListingEntry {
  name: string;
  kind: "file" | "dir";
  /** File: its content hash. Directory: the subtree digest below. */
  digest: Uint8Array;
}

const listingEntriesMax = limits.filesPerDirectoryMax;

export function childOf(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/** Digest of a subtree from names, kinds and content hashes (bounded by depth). */
export function subtreeDigest(view: TreeView, dir: string, sha256: Sha256, depth = 0): Uint8Array {
  assert(depth <= limits.pathDepthMax, "directory nesting beyond pathDepthMax");
  const listing = listingOf(view, dir, sha256, depth);
  assert(listing !== undefined, `subtree ${dir} vanished while hashing`);
  const parts: Uint8Array[] = [];
  for (const entry of listing)
    parts.push(utf8(entry.name), Uint8Array.of(0, entry.kind === "dir" ? 1 : 0), entry.digest);
  return sha256(concatBytes(parts));
}

/** The children of `dir` with digests; undefined when `dir` is not a directory. */
export function listingOf(
  view: TreeView,
  dir: string,
  sha256: Sha256,
  depth = 0,
): ListingEntry[] | undefined {
  const names = view.list(dir);
  if (!names.ok) return undefined;
  const out: ListingEntry[] = [];
  for (const name of names.value) {
    const path = childOf(dir, name);
    const stat = view.stat(path);
    assert(stat.ok, `listed child ${path} has no stat`);
    if (stat.value.kind === "file") {
      assert(stat.value.sha256 !== undefined, "a file stat must carry its hash");
      out.push({ name, kind: "file", digest: stat.value.sha256 });
    } else {
      out.push({ name, kind: "dir", digest: subtreeDigest(view, path, sha256, depth + 1) });
    }
  }
  return out;
}

export function encodeListing(entries: readonly ListingEntry[]): Uint8Array {
  const w = new ByteWriter();
  w.varint(entries.length);
  for (const entry of entries) {
    assert(entry.digest.length === limits.digestBytes, "listing digests are 32 bytes");
    w.string(entry.name);
    w.varint(entry.kind === "dir" ? 1 : 0);
    w.bytes(entry.digest);
  }
  return w.finish();
}

export function decodeListing(bytes: Uint8Array): Result<ListingEntry[]> {
  try {
    const r = new ByteReader(bytes);
    const count = r.varint();
    if (count > listingEntriesMax || count > bytes.length) throw new ByteCodecError(`${count} entries`);
    const out: ListingEntry[] = [];
    for (let i = 0; i < count; i++) {
      const name = r.string(limits.nameBytesMax);
      if (name === "" || name === "." || name === ".." || name.includes("/")) {
        throw new ByteCodecError(`invalid entry name ${JSON.stringify(name)}`);
      }
      const kind = r.varint();
      if (kind > 1) throw new ByteCodecError(`entry kind ${kind}`);
      out.push({ name, kind: kind === 1 ? "dir" : "file", digest: r.bytes(limits.digestBytes) });
    }
    if (!r.done) throw new ByteCodecError("trailing bytes");
    return ok(out);
  } catch (error) {
    if (!(error instanceof ByteCodecError)) throw error;
    return fail(ErrorCodes.FRAME_MALFORMED, `Cannot decode repair listing: ${error.message}`);
  }
}
