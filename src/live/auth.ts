// Device and admin authentication for the live server (DESIGN.md invariant 6:
// a device can only write its own mirror). Each device holds a 32-byte key
// from `mirrorcell enroll`; a sync connection proves it with
// HMAC-SHA256(key, nonce || deviceId) over a fresh server nonce, so the key
// never crosses the wire. The admin token guards the HTTP admin API.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert } from "../core/assert.ts";
import { fromHex, toHex, utf8 } from "../core/bytes.ts";
import { MirrorcellError } from "../core/errors.ts";

export const deviceKeyBytes = 32;
export const nonceBytes = 32;
const adminTokenFile = "admin-token";

export function newDeviceKey(): Uint8Array {
  return new Uint8Array(randomBytes(deviceKeyBytes));
}

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(nonceBytes));
}

/** The proof a device sends in AuthProof. */
export function deviceProof(key: Uint8Array, nonce: Uint8Array, deviceId: string): Uint8Array {
  assert(key.length === deviceKeyBytes, "device key must be 32 bytes");
  assert(nonce.length === nonceBytes, "nonce must be 32 bytes");
  const mac = createHmac("sha256", key).update(nonce).update(utf8(deviceId)).digest();
  return new Uint8Array(mac);
}

/** Constant-time check of a device's proof. */
export function proofMatches(key: Uint8Array, nonce: Uint8Array, deviceId: string, mac: Uint8Array): boolean {
  const expected = deviceProof(key, nonce, deviceId);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}

/** Parses a key given on the command line (64 hex digits). */
export function parseDeviceKey(hex: string): Uint8Array {
  const key = fromHex(hex);
  if (key === undefined || key.length !== deviceKeyBytes) {
    throw new MirrorcellError(
      "E_USAGE",
      `Cannot parse device key: expected ${deviceKeyBytes * 2} hex digits`,
    );
  }
  return key;
}

/** Constant-time string comparison for bearer tokens. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = utf8(expected);
  const b = utf8(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The admin token: the one given, else the one stored in the data dir, else a
 * new one written there (mode 0600). `created` tells the caller to print it.
 */
export function loadOrCreateAdminToken(dataDir: string, given?: string): { token: string; created: boolean } {
  if (given !== undefined && given !== "") return { token: given, created: false };
  const path = join(dataDir, adminTokenFile);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length < 16) {
      throw new MirrorcellError("E_FILE_CORRUPT", `Admin token file ${path} is corrupt: too short`);
    }
    return { token, created: false };
  }
  const token = toHex(new Uint8Array(randomBytes(24)));
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, created: true };
}
