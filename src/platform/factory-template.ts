// Factory images per phone model (paper §3.2: a mirror starts from the
// template of the phone's model). Deterministic from the model name: system
// files, libraries, fonts, preinstalled packages and the empty app
// directories — about 300 files and a few MB. Built once per model and
// shared under the public level key: every platform made from it shares its
// file nodes and blobs. A device keeps its own level key (key-level.ts), so
// Platform.create rebuilds the ~60 directory trees under it (rekeySnapshot):
// the tree shape, and so the digest, of a device's template is its own.
import { assert } from "../core/assert.ts";
import { utf8 } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import { SeededRng } from "../core/rng.ts";
import { publicLevelKey } from "./key-level.ts";
import type { PlatformSnapshot } from "./platform.ts";
import { Storage } from "./storage.ts";
import { bootUi } from "./ui-state.ts";

const preinstalled = [
  "com.android.contacts",
  "com.android.dialer",
  "com.android.calendar",
  "com.android.gallery",
  "com.android.music",
  "com.android.clock",
  "com.android.settings",
  "com.android.keyboard",
];

export const appDataDirs = [
  "/data/messaging",
  "/data/email/inbox",
  "/data/email/drafts",
  "/data/email/sent",
  "/data/mms",
  "/data/browser/cache",
  "/data/browser/bookmarks",
  "/data/installer",
  "/data/antivirus/requests",
  "/data/antivirus/results",
  "/data/cache/notices",
  "/data/cache/uploads",
  "/data/system/settings",
  "/sdcard/DCIM/Camera",
  "/sdcard/Download",
  "/sdcard/Pictures",
  "/sdcard/Music",
];

function modelSeed(model: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < model.length; i++) h = Math.imul(h ^ model.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function systemFiles(model: string, rng: SeededRng): [string, Uint8Array][] {
  const files: [string, Uint8Array][] = [];
  const binary = (count: number, dir: string, ext: string, min: number, max: number) => {
    for (let i = 0; i < count; i++)
      files.push([
        `${dir}/${ext.startsWith(".") ? `part${i}${ext}` : `${ext}${i}.so`}`,
        rng.bytes(rng.int(min, max)),
      ]);
  };
  files.push([
    "/system/build.prop",
    utf8(`ro.product.model=${model}\nro.build.id=MIRRORCELL1\nro.build.version.sdk=10\n`),
  ]);
  binary(20, "/system/framework", ".jar", 8_000, 64_000);
  binary(40, "/system/lib", "lib", 4_000, 32_000);
  binary(16, "/system/fonts", ".ttf", 20_000, 60_000);
  binary(10, "/system/media/audio/ringtones", ".ogg", 10_000, 40_000);
  for (let i = 0; i < 30; i++)
    files.push([`/system/etc/config${i}.conf`, utf8(`# ${model} config ${i}\nvalue=${rng.nextU32()}\n`)]);
  return files;
}

function packageFiles(rng: SeededRng): [string, Uint8Array][] {
  const files: [string, Uint8Array][] = [];
  for (const name of preinstalled) {
    const dir = `/apps/${name}`;
    files.push([`${dir}/AndroidManifest.xml`, utf8(`<manifest package="${name}" versionCode="1"/>\n`)]);
    files.push([`${dir}/classes.dex`, rng.bytes(rng.int(20_000, 120_000))]);
    for (let i = 0; i < 8; i++)
      files.push([`${dir}/res/layout/screen${i}.xml`, utf8(`<LinearLayout id="${i}"/>\n`)]);
    for (let i = 0; i < 10; i++)
      files.push([`${dir}/res/drawable/icon${i}.png`, rng.bytes(rng.int(500, 4_000))]);
    files.push([`/data/installer/${name}.meta`, utf8("version=1\nfiles=20\ninstalled=0\n")]);
  }
  return files;
}

const cache = new Map<string, { sha256: Sha256; snapshot: PlatformSnapshot }>();
const cachedModelsMax = 64;

/** The factory image of a phone model under the public level key; the same model gives the same digest everywhere. */
export function factoryTemplate(model: string, sha256: Sha256): PlatformSnapshot {
  assert(model.length > 0 && model.length <= limits.nameBytesMax, "bad model name");
  const cached = cache.get(model);
  if (cached !== undefined && cached.sha256 === sha256) return cached.snapshot;
  const rng = new SeededRng(modelSeed(model));
  const files = [...systemFiles(model, rng), ...packageFiles(rng)];
  const built = Storage.fromFiles(files, { sha256, levels: publicLevelKey, emptyDirs: appDataDirs });
  assert(built.ok, `factory template for ${model} failed to build`);
  const snapshot: PlatformSnapshot = Object.freeze({
    model,
    storage: built.value.snapshot(),
    ui: bootUi(),
    networkConsumed: 0,
    poweredOn: true,
  });
  if (cache.size >= cachedModelsMax) cache.delete(cache.keys().next().value!);
  cache.set(model, { sha256, snapshot });
  return snapshot;
}
