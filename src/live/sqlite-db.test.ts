import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { withTempDir } from "../../test/support/temp-dir.ts";
import { isMirrorcellError } from "../core/errors.ts";
import { deviceKey, enrollDevice, enrolledDevices, openDatabase } from "./sqlite-db.ts";

test("live: sqlite: enrolled devices get distinct keys; enrolling twice is DEVICE_EXISTS", () => {
  withTempDir("db", (dir) => {
    const db = openDatabase(dir);
    const k1 = enrollDevice(db, "phone-1", 1);
    const k2 = enrollDevice(db, "phone-2", 2);
    assert.notDeepEqual(k1, k2);
    assert.deepEqual(deviceKey(db, "phone-1"), k1);
    assert.equal(deviceKey(db, "phone-3"), undefined);
    assert.throws(
      () => enrollDevice(db, "phone-1", 3),
      (e) => isMirrorcellError(e) && e.code === "E_DEVICE_EXISTS",
    );
    assert.throws(
      () => enrollDevice(db, "bad id!", 3),
      (e) => isMirrorcellError(e) && e.code === "E_USAGE",
    );
    assert.deepEqual(enrolledDevices(db), ["phone-1", "phone-2"]);
    db.close();
  });
});

test("live: sqlite: a database file that is garbage is FILE_CORRUPT at open", () => {
  withTempDir("db", (dir) => {
    writeFileSync(join(dir, "mirrorcell.db"), "this is not a database, just some bytes ".repeat(200));
    assert.throws(
      () => openDatabase(dir),
      (e) => isMirrorcellError(e) && e.code === "E_FILE_CORRUPT" && /mirrorcell\.db/.test(e.message),
    );
  });
});
