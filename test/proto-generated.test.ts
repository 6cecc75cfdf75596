// The committed generated code must be what `npm run proto` produces now.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("proto: src/gen is up to date with proto/", () => {
  const out = mkdtempSync(join(tmpdir(), "mirrorcell-proto-"));
  try {
    const template = JSON.stringify({
      version: "v2",
      inputs: [{ directory: "proto" }],
      plugins: [{ local: "protoc-gen-es", out, opt: ["target=ts", "import_extension=ts"] }],
    });
    const result = spawnSync("npx", ["buf", "generate", "--template", template], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const dir = join(out, "mirrorcell", "v1");
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, readdirSync("src/gen/mirrorcell/v1").sort());
    for (const file of files) {
      assert.equal(
        readFileSync(join(dir, file), "utf8"),
        readFileSync(join("src/gen/mirrorcell/v1", file), "utf8"),
        `${file} is stale: run npm run proto`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
