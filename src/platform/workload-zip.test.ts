import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { unzipSync, zipSync } from "fflate";
import { utf8 } from "../core/bytes.ts";
import { crc32, dosDateTime, storedZip } from "./workload-zip.ts";

const mtime = "2020-01-01T12:00:00";
const dosTime = dosDateTime({ year: 2020, month: 1, day: 1, hours: 12, minutes: 0, seconds: 0 });

test("workload-zip: crc32 of the standard check string and of nothing", () => {
  assert.equal(crc32(utf8("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  // every length around the eight-byte steps
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff);
  for (let length = 0; length <= bytes.length; length++) {
    let crc = 0xffffffff;
    for (const byte of bytes.subarray(0, length)) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
    assert.equal(crc32(bytes.subarray(0, length)), ~crc >>> 0, `length ${length}`);
  }
});

test("workload-zip: storedZip writes what fflate's zipSync writes at level 0 (property)", () => {
  const entry = fc.record({
    // a letter first: object keys that read as integers would be reordered in zipSync's record
    name: fc.string({ minLength: 0, maxLength: 30 }).map((rest) => `f${rest}`),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 3000 }),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(entry, { selector: (e) => e.name, minLength: 0, maxLength: 12 }),
      (entries) => {
        const record: Record<string, Uint8Array> = {};
        for (const { name, bytes } of entries) record[name] = bytes;
        const expected = zipSync(record, { level: 0, mtime });
        assert.deepEqual(storedZip(entries, dosTime), expected);
      },
    ),
    { numRuns: 200 },
  );
});

test("workload-zip: a package-shaped archive reads back with fflate's unzipSync", () => {
  const entries = [
    { name: "AndroidManifest.xml", bytes: utf8('<manifest package="com.example.app1" versionCode="3"/>\n') },
    { name: "classes.dex", bytes: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff) },
    { name: "res/drawable/r0.png", bytes: new Uint8Array(0) },
  ];
  const files = unzipSync(storedZip(entries, dosTime));
  assert.deepEqual(
    Object.keys(files),
    entries.map((e) => e.name),
  );
  for (const { name, bytes } of entries) assert.deepEqual(files[name], bytes);
});

test("workload-zip: dosDateTime refuses years zip cannot hold", () => {
  assert.throws(() => dosDateTime({ year: 1979, month: 12, day: 31, hours: 0, minutes: 0, seconds: 0 }));
  assert.throws(() => dosDateTime({ year: 2100, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 }));
});
