// A live phone's own durable state (issue 5: "persists its own state, so a
// phone restart works"): written at power-off into the phone's data dir —
// storage manifest + content-addressed blob files (atomic, verified) and the
// SyncClient's resume point (last batch, last seq, unacked batch frames).
// Volatile UI state is not saved: a power cycle loses it on phone and mirror
// alike.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert } from "../core/assert.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import { MirrorcellError } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import type { FileEntry } from "../platform/index.ts";
import type { ClientResume } from "../sync/sync-client.ts";
import { BlobFiles, fsyncDir } from "./blob-files.ts";

export interface SavedPhone {
  deviceId: string;
  model: string;
  networkConsumed: number;
  boots: number;
  files: FileEntry[];
  emptyDirs: string[];
  resume: ClientResume;
  blobs: BlobFiles;
}

const stateFile = "phone-state.json";

export function savePhoneState(
  dir: string,
  sha256: Sha256,
  state: Omit<SavedPhone, "blobs">,
  blobOf: (sha: Uint8Array) => Uint8Array | undefined,
): void {
  const blobs = new BlobFiles(join(dir, "blobs"), sha256);
  for (const file of state.files) {
    if (blobs.has(file.sha256)) continue;
    const bytes = blobOf(file.sha256);
    assert(bytes !== undefined, `phone lacks the blob of ${file.path}`);
    blobs.put(bytes);
  }
  const json = JSON.stringify({
    ...state,
    files: state.files.map((f) => ({ path: f.path, size: f.size, sha256: toHex(f.sha256) })),
    resume: {
      ...state.resume,
      unacked: (state.resume.unacked ?? []).map((u) => ({ batchNo: u.batchNo, bytes: toHex(u.bytes) })),
    },
  });
  const temp = join(dir, `${stateFile}.tmp`);
  writeFileSync(temp, json, { flush: true });
  renameSync(temp, join(dir, stateFile));
  fsyncDir(dir);
}

/** The saved state, or undefined for a first boot; FILE_CORRUPT when unreadable. */
export function loadPhoneState(dir: string, sha256: Sha256): SavedPhone | undefined {
  const path = join(dir, stateFile);
  if (!existsSync(path)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(path, "utf8")) as Omit<SavedPhone, "files" | "resume" | "blobs"> & {
      files: { path: string; size: number; sha256: string }[];
      resume: Omit<ClientResume, "unacked"> & { unacked: { batchNo: number; bytes: string }[] };
    };
    const hex = (text: string) => {
      const bytes = fromHex(text);
      if (bytes === undefined) throw new Error(`bad hex ${text.slice(0, 16)}`);
      return bytes;
    };
    return {
      ...raw,
      files: raw.files.map((f) => ({ path: f.path, size: f.size, sha256: hex(f.sha256) })),
      resume: {
        ...raw.resume,
        unacked: raw.resume.unacked.map((u) => ({ batchNo: u.batchNo, bytes: hex(u.bytes) })),
      },
      blobs: new BlobFiles(join(dir, "blobs"), sha256),
    };
  } catch (error) {
    throw new MirrorcellError(
      "E_FILE_CORRUPT",
      `Phone state ${path} is unreadable: ${(error as Error).message}`,
    );
  }
}
