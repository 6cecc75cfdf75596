import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex, utf8 } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { factoryTemplate } from "./factory-template.ts";
import { LevelKey, levelSecretBytes } from "./key-level.ts";
import { Platform } from "./platform.ts";
import { rekeyedSnapshot } from "./rekeyed-snapshots.ts";
import { rekeySnapshot } from "./storage-build.ts";

const model = "mc-one";
const keyOf = (fill: number) => LevelKey.fromSecret(new Uint8Array(levelSecretBytes).fill(fill));

test("rekeyed snapshots: a phone and its mirror with one level key share one rebuilt template tree", () => {
  const template = factoryTemplate(model, nodeSha256);
  const key = keyOf(7);
  const first = rekeyedSnapshot(template.storage, key);
  const second = rekeyedSnapshot(template.storage, key);
  assert.equal(second, first, "the second device object takes the first one's tree");
  assert.notEqual(first.root, template.storage.root);
  const other = rekeyedSnapshot(template.storage, keyOf(8));
  assert.notEqual(other.root, first.root, "another key, another tree");
  assert.equal(rekeyedSnapshot(template.storage, template.storage.levels), template.storage);
});

test("rekeyed snapshots: the shared tree digests exactly as a fresh rebuild, and writes on one side leave the other alone", () => {
  const template = factoryTemplate(model, nodeSha256);
  const key = keyOf(9);
  const fresh = rekeySnapshot(template.storage, keyOf(9));
  const mirror = Platform.create({ mode: "mirror", deviceId: "m", model, sha256: nodeSha256, levelKey: key });
  const twin = Platform.create({ mode: "mirror", deviceId: "m", model, sha256: nodeSha256, levelKey: key });
  assert.equal(mirror.storage.snapshot().root, twin.storage.snapshot().root);
  const alone = Platform.create({
    mode: "mirror",
    deviceId: "m",
    model,
    sha256: nodeSha256,
    from: { ...template, storage: fresh },
  });
  assert.equal(toHex(mirror.digest()), toHex(alone.digest()));
  const before = toHex(twin.digest());
  assert.ok(mirror.storage.writeFile("/sdcard/Download/new.txt", utf8("only on one side")).ok);
  assert.notEqual(toHex(mirror.digest()), before);
  assert.equal(toHex(twin.digest()), before, "the shared tree did not change under the other platform");
});
