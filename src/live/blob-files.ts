// Content-addressed blob files for the live server's durable state (DESIGN.md
// "Mirrors": blob store). A blob is written once, atomically: temp file,
// fsync, rename, fsync of the directory, so a crash leaves either no file or
// the whole file (without fsync, as SQLite's synchronous=NORMAL: safe
// against process crashes, not power loss). Reads verify the SHA-256, so a corrupted file is a clear
// BLOB_CORRUPT error, never silent garbage.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { assert } from "../core/assert.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { fail, ok, type Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";

let tempCounter = 0;

export class BlobFiles {
  readonly dir: string;
  private readonly sha256: Sha256;
  /** Fan-out subdirectories already created (and fsynced) in this process. */
  private readonly madeDirs = new Set<string>();

  /** fsync files and directories (power-loss safe); false survives process crashes only. */
  private readonly fsync: boolean;

  constructor(dir: string, sha256: Sha256, options: { fsync?: boolean } = {}) {
    this.dir = dir;
    this.sha256 = sha256;
    this.fsync = options.fsync ?? true;
    mkdirSync(join(dir, "tmp"), { recursive: true });
  }

  pathOf(sha256: Uint8Array): string {
    assert(sha256.length === 32, "blob address must be 32 bytes");
    const hex = toHex(sha256);
    return join(this.dir, hex.slice(0, 2), hex);
  }

  has(sha256: Uint8Array): boolean {
    try {
      return statSync(this.pathOf(sha256)).isFile();
    } catch {
      return false;
    }
  }

  /** Writes the blob durably unless it exists already; returns its address. */
  put(bytes: Uint8Array): Uint8Array {
    const sha = this.sha256(bytes);
    if (this.has(sha)) return sha;
    const hex = toHex(sha);
    const sub = join(this.dir, hex.slice(0, 2));
    this.ensureDir(sub);
    tempCounter += 1;
    const temp = join(this.dir, "tmp", `${hex}.${process.pid}.${tempCounter}`);
    const fd = openSync(temp, "w");
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(sub, hex));
    if (this.fsync) fsyncDir(sub);
    assert(this.has(sha), "blob missing right after rename");
    return sha;
  }

  /** Reads and verifies a blob: BLOB_MISSING or BLOB_CORRUPT on trouble. */
  get(sha256: Uint8Array): Result<Uint8Array> {
    const path = this.pathOf(sha256);
    let bytes: Uint8Array;
    try {
      const buf = readFileSync(path);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch {
      return fail("E_BLOB_MISSING", `Cannot read blob ${toHex(sha256)}: no file at ${path}`);
    }
    if (!bytesEqual(this.sha256(bytes), sha256)) {
      return fail("E_BLOB_CORRUPT", `Blob file ${path} is corrupt: its SHA-256 does not match its name`);
    }
    return ok(bytes);
  }

  private ensureDir(sub: string): void {
    if (this.madeDirs.has(sub)) return;
    mkdirSync(sub, { recursive: true });
    if (this.fsync) fsyncDir(this.dir);
    this.madeDirs.add(sub);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
