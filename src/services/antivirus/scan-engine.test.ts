import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { zipSync } from "fflate";
import { compileDatabase } from "./compile.ts";
import { deserializeEngine, serializeEngine } from "./compiled-format.ts";
import { emptyParsedDatabase, parseDatabaseText } from "./database-parser.ts";
import type { HashFactory } from "./hash-ports.ts";
import type { ScanEngine } from "./scan-engine.ts";
import { readZipEntries } from "./zip-reader.ts";

const testHash: HashFactory = (algorithm) => {
  const h = createHash(algorithm);
  return { update: (c) => void h.update(c), digestHex: () => h.digest("hex") };
};

const enc = new TextEncoder();
const hashed = enc.encode("this file is known by its hash");
const md5 = createHash("md5").update(hashed).digest("hex");

function engineOf(files: Record<string, string>, version = "v1"): ScanEngine {
  const parsed = emptyParsedDatabase();
  for (const [name, text] of Object.entries(files)) assert.ok(parseDatabaseText(name, text, parsed).ok);
  const engine = compileDatabase(parsed, version);
  assert.ok(engine.ok);
  return engine.value;
}

const engine = engineOf({
  "e.ndb": "Body.Evil:0:*:4556494c21\nBody.Tail:0:EOF-4:5441494c\n",
  "e.hdb": `${md5}:${hashed.length}:Hash.Known\n${md5}:*:Hash.AnySize:73\n`,
});

test("engine: body, EOF and hash signatures; exact-size hash before `*`", () => {
  const names = (bytes: Uint8Array, allMatch = true) =>
    engine.scan(bytes, testHash, { allMatch }).detections.map((d) => d.name);
  assert.deepEqual(names(enc.encode("xx EVIL! yy")), ["Body.Evil"]);
  assert.deepEqual(names(enc.encode("xx TAIL")), ["Body.Tail"]);
  assert.deepEqual(names(enc.encode("xx TAIL ")), []);
  assert.deepEqual(names(hashed), ["Hash.Known", "Hash.AnySize"]);
  assert.deepEqual(names(hashed, false), ["Hash.Known"]);
  assert.deepEqual(
    names(enc.encode("EVIL!")),
    [],
    "objects of 5 bytes or less are not scanned, as in clamscan",
  );
});

test("engine: ZIP/APK entries (stored, deflate, nested) are scanned and named; entries come first", () => {
  const inner = zipSync({
    "classes.dex": [enc.encode(`${"a".repeat(500)}EVIL!${"b".repeat(500)}`), { level: 6 }],
  });
  const apk = zipSync({
    "res/raw.bin": [hashed, { level: 0 }],
    "lib/inner.zip": [inner, { level: 0 }],
  });
  const result = engine.scan(apk, testHash, { allMatch: true });
  assert.deepEqual(
    result.detections.map((d) => `${d.inside.join("!")}:${d.name}`),
    ["res/raw.bin:Hash.Known", "res/raw.bin:Hash.AnySize", "lib/inner.zip!classes.dex:Body.Evil"],
  );
  assert.equal(result.objectsScanned, 4);
  assert.equal(engine.scan(apk, testHash).detections.length, 1);
});

test("zip: damaged or encrypted archives yield reasons, not exceptions", () => {
  const apk = zipSync({ "a.bin": [enc.encode("hello hello hello"), { level: 6 }] });
  assert.equal(readZipEntries(apk.subarray(0, apk.length - 30)), undefined);
  const encrypted = apk.slice();
  const central = encrypted.findLastIndex(
    (_, i) =>
      encrypted[i] === 0x50 && encrypted[i + 1] === 0x4b && encrypted[i + 2] === 1 && encrypted[i + 3] === 2,
  );
  encrypted[central + 8]! |= 1;
  assert.deepEqual(readZipEntries(encrypted), [{ name: "a.bin", kind: "skipped", reason: "encrypted" }]);
  const corrupt = apk.slice();
  corrupt.fill(0xff, 30 + 5, 30 + 12);
  const entry = readZipEntries(corrupt)![0]!;
  assert.ok(entry.kind === "skipped" || entry.kind === "data");
});

test("compiled database: round trip scans the same; damage is a typed error", () => {
  const bytes = serializeEngine(engine);
  const copy = deserializeEngine(bytes);
  assert.ok(copy.ok);
  assert.equal(copy.value.version, "v1");
  for (const sample of [enc.encode("xx EVIL! yy"), enc.encode("..TAIL"), hashed, enc.encode("clean file")]) {
    assert.deepEqual(
      copy.value.scan(sample, testHash, { allMatch: true }),
      engine.scan(sample, testHash, { allMatch: true }),
    );
  }
  const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
  unaligned.set(bytes);
  assert.ok(deserializeEngine(unaligned).ok);
  assert.ok(!deserializeEngine(bytes.subarray(0, bytes.length - 8)).ok);
  assert.ok(!deserializeEngine(enc.encode("not a database")).ok);
});

test("compile: a database without usable signatures is DATABASE_EMPTY", () => {
  const parsed = emptyParsedDatabase();
  assert.ok(parseDatabaseText("p.ndb", "Pe:1:*:414243\n", parsed).ok);
  const engine = compileDatabase(parsed, "v");
  assert.ok(!engine.ok);
  assert.equal(engine.error.code, "E_DATABASE_EMPTY");
});
