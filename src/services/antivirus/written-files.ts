// The files replay wrote since an on-the-fly scan last looked (paper §5.2,
// on-the-fly mode), as a storage a StorageScanJob can walk. Each file keeps
// the storage snapshot it was written in, so the job reads the bytes replay
// wrote even if the file has been changed or deleted since.
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { limits } from "../../core/limits.ts";
import type { ScannableStorage } from "./antivirus-service.ts";

export interface WrittenFile {
  path: string;
  sha256: Uint8Array;
  size: number;
}

export class WrittenFiles implements ScannableStorage {
  private readonly files: WrittenFile[] = [];
  /** Blob SHA-256 hex → a snapshot that holds it. */
  private readonly sources = new Map<string, ScannableStorage>();

  get count(): number {
    return this.files.length;
  }

  get full(): boolean {
    return this.files.length >= limits.scanOnTheFlyFilesPerJobMax;
  }

  add(file: WrittenFile, source: ScannableStorage): void {
    assert(!this.full, "an on-the-fly job takes a bounded number of files");
    assert(file.sha256.length === limits.digestBytes, "files are named by SHA-256");
    this.files.push(file);
    this.sources.set(toHex(file.sha256), source);
  }

  walk(): Iterable<WrittenFile> {
    return this.files;
  }

  blob(sha256: Uint8Array): Uint8Array | undefined {
    return this.sources.get(toHex(sha256))?.blob(sha256);
  }
}
