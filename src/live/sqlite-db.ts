// The live server's SQLite database (WAL mode, better-sqlite3): opening,
// schema, integrity check at start, and the device registry used by
// enrollment and auth. The MirrorStore tables live in sqlite-store.ts.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { assert } from "../core/assert.ts";
import { MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { newDeviceKey } from "./auth.ts";

export type Db = Database.Database;

export const schemaVersion = 1;
const databaseFile = "mirrorcell.db";

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY, key BLOB NOT NULL, created_ms INTEGER NOT NULL) STRICT;
`;

export interface OpenOptions {
  /** fsync the WAL on every commit (durable against power loss, not only crashes). */
  synchronousFull?: boolean;
}

/**
 * Opens (creating if needed) the database in `dataDir`. A file that is not a
 * SQLite database, fails its integrity check, or has an unknown schema
 * version is a FILE_CORRUPT error naming the file.
 */
export function openDatabase(dataDir: string, options: OpenOptions = {}): Db {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, databaseFile);
  let db: Db | undefined;
  try {
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronousFull === false ? "NORMAL" : "FULL"}`);
    db.pragma("foreign_keys = ON");
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(`integrity check says: ${String(check)}`);
    db.exec(schema);
    checkSchemaVersion(db);
  } catch (error) {
    db?.close();
    if (error instanceof MirrorcellError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MirrorcellError("E_FILE_CORRUPT", `Database ${path} is unusable: ${reason}`, { cause: error });
  }
  assert(db.open, "database closed after open");
  return db;
}

function checkSchemaVersion(db: Db): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  if (row === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(schemaVersion));
    return;
  }
  if (row.value !== String(schemaVersion)) {
    throw new MirrorcellError(
      "E_FILE_CORRUPT",
      `Database schema version ${row.value} is not the supported version ${schemaVersion}`,
    );
  }
}

export function validDeviceId(deviceId: string): boolean {
  return (
    deviceId.length > 0 &&
    new TextEncoder().encode(deviceId).length <= limits.deviceIdBytesMax &&
    /^[A-Za-z0-9._-]+$/.test(deviceId)
  );
}

/** Registers a device and returns its new key; DEVICE_EXISTS when enrolled. */
export function enrollDevice(db: Db, deviceId: string, nowMs: number): Uint8Array {
  if (!validDeviceId(deviceId)) {
    throw new MirrorcellError(
      "E_USAGE",
      `Cannot enroll device "${deviceId}": ids are 1-${limits.deviceIdBytesMax} characters of A-Z a-z 0-9 . _ -`,
    );
  }
  const key = newDeviceKey();
  const result = db
    .prepare("INSERT OR IGNORE INTO devices (device_id, key, created_ms) VALUES (?, ?, ?)")
    .run(deviceId, key, nowMs);
  if (result.changes === 0) {
    throw new MirrorcellError("E_DEVICE_EXISTS", `Device ${deviceId} is enrolled already`);
  }
  return key;
}

/**
 * The key look-up, prepared once per database: it runs at every
 * authentication, mirror load and proxied request (a prepare per call was
 * ~15-19 us of a ~8 us look-up).
 */
const deviceKeyStatements = new WeakMap<Db, Database.Statement>();

/** The device's key, or undefined when it is not enrolled. */
export function deviceKey(db: Db, deviceId: string): Uint8Array | undefined {
  let statement = deviceKeyStatements.get(db);
  if (statement === undefined) {
    statement = db.prepare("SELECT key FROM devices WHERE device_id = ?");
    deviceKeyStatements.set(db, statement);
  }
  const row = statement.get(deviceId) as { key: Uint8Array } | undefined;
  return row === undefined ? undefined : new Uint8Array(row.key);
}

export function enrolledDevices(db: Db): string[] {
  const rows = db.prepare("SELECT device_id FROM devices ORDER BY device_id").all() as {
    device_id: string;
  }[];
  return rows.map((r) => r.device_id);
}
