// A file every phone of a model has from its factory template, named by its
// MD5 as a ClamAV hash signature (.hdb: MD5:size:name) — antivirus tests
// mark it to see a live mirror's scan find a known file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { nodeSha256 } from "../../src/node/sha256.ts";
import { factoryTemplate, Storage } from "../../src/platform/index.ts";

export function markedTemplateFile(model: string, signature: string): { path: string; hdbLine: string } {
  const template = Storage.fromSnapshot(factoryTemplate(model, nodeSha256).storage, nodeSha256);
  const file = [...template.walk()].find((f) => f.size >= 64);
  assert.ok(file !== undefined, "the template has files");
  const bytes = template.readFile(file.path);
  assert.ok(bytes.ok);
  const md5 = createHash("md5").update(bytes.value).digest("hex");
  return { path: file.path, hdbLine: `${md5}:${file.size}:${signature}\n` };
}
