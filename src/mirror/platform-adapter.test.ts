import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex, utf8 } from "../core/bytes.ts";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/index.ts";
import {
  type LevelKey,
  levelKeyFromDeviceKey,
  Platform,
  publicLevelKey,
  seededNondet,
} from "../platform/index.ts";
import { platformFactory } from "./platform-adapter.ts";

const model = "mc-phone-1";

/** A phone whose MMS directory holds many attachments, under its device's level key. */
function phoneWith(levelKey: LevelKey): Platform {
  const phone = Platform.create({
    mode: "phone",
    deviceId: "d1",
    model,
    sha256: nodeSha256,
    nondet: seededNondet({ rng: new SeededRng(3), clock: { nowMs: () => 1_000 }, cameraBytes: 100 }),
    levelKey,
  });
  for (let i = 0; i < 200; i++) phone.storage.writeFile(`/data/mms/attachment-${i}.jpg`, utf8(`photo ${i}`));
  return phone;
}

test("platform factory: mirrors from the template and from a manifest take the device's level key", () => {
  const key = levelKeyFromDeviceKey(new Uint8Array(32).fill(7), nodeSha256);
  const keyed = platformFactory(nodeSha256, { levelKeyOf: (id) => (id === "d1" ? key : undefined) });
  const unkeyed = platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey });
  const phone = phoneWith(key);
  const fresh = Platform.create({ mode: "mirror", deviceId: "d1", model, sha256: nodeSha256, levelKey: key });
  const fromTemplate = keyed.fromTemplate("d1", model);
  assert.ok(fromTemplate.ok);
  assert.equal(
    toHex(fromTemplate.value.digest()),
    toHex(fresh.digest()),
    "the template under the device's key",
  );
  const publicTemplate = unkeyed.fromTemplate("d1", model);
  assert.ok(publicTemplate.ok);
  assert.notEqual(
    toHex(publicTemplate.value.digest()),
    toHex(fresh.digest()),
    "the public key shapes another tree",
  );

  const manifest = phone.storage.manifest();
  const blobOf = (sha: Uint8Array) => phone.storage.blob(sha);
  const restored = keyed.fromManifest("d1", model, manifest, phone.storage.emptyDirs(), blobOf, 0);
  assert.ok(restored.ok);
  assert.equal(
    toHex(restored.value.digest()),
    toHex(phone.digest()),
    "a restore or clone rebuilds under the key",
  );
  // and keeps writing under it: the same write on phone and mirror gives the same root
  restored.value.storage.writeFile("/data/mms/late.jpg", utf8("late"));
  phone.storage.writeFile("/data/mms/late.jpg", utf8("late"));
  assert.equal(toHex(restored.value.digest()), toHex(phone.digest()));
});

test("platform factory: a device without a level key gets no mirror (E_DEVICE_UNKNOWN), not a public-key one", () => {
  const key = levelKeyFromDeviceKey(new Uint8Array(32).fill(9), nodeSha256);
  const keyed = platformFactory(nodeSha256, { levelKeyOf: (id) => (id === "d1" ? key : undefined) });
  const fromTemplate = keyed.fromTemplate("stranger", model);
  assert.ok(!fromTemplate.ok);
  assert.equal(fromTemplate.error.code, "E_DEVICE_UNKNOWN");
  // a restore or clone, even with every blob at hand, is refused too
  const phone = phoneWith(key);
  const blobOf = (sha: Uint8Array) => phone.storage.blob(sha);
  const manifest = phone.storage.manifest();
  const restored = keyed.fromManifest("stranger", model, manifest, phone.storage.emptyDirs(), blobOf, 0);
  assert.ok(!restored.ok);
  assert.equal(restored.error.code, "E_DEVICE_UNKNOWN");
  // the same calls for the device with a key succeed: the refusal is about the key
  assert.ok(keyed.fromTemplate("d1", model).ok);
  assert.ok(keyed.fromManifest("d1", model, manifest, phone.storage.emptyDirs(), blobOf, 0).ok);
});

test("platform factory: one without a level key look-up cannot be made (type error; assertion for untyped callers)", () => {
  // @ts-expect-error levelKeyOf is required: no factory silently keeps the public key
  assert.throws(() => platformFactory(nodeSha256), /levelKeyOf/);
  // @ts-expect-error the same with an options object that forgot it
  assert.throws(() => platformFactory(nodeSha256, {}), /levelKeyOf/);
});
