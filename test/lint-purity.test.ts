// The purity rule (biome.json overrides) must reject IO, time and randomness
// in the core and accept them in the runtimes. Probes are linted in a scratch
// copy of the project config, so the real tree is never touched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const biome = resolve("node_modules/.bin/biome");
const scratch = mkdtempSync(join(tmpdir(), "mirrorcell-lint-"));
const config = JSON.parse(readFileSync("biome.json", "utf8"));
config.$schema = undefined;
config.vcs = { enabled: false };
writeFileSync(join(scratch, "biome.json"), JSON.stringify(config));
after(() => rmSync(scratch, { recursive: true, force: true }));

const impure = [
  'import { readFileSync } from "node:fs";',
  "export const t = Date.now();",
  "export const r = Math.random();",
  "setTimeout(() => {}, 1);",
  "export const f = readFileSync;",
  "",
].join("\n");

function lint(relativePath: string, source: string): string {
  const path = join(scratch, relativePath);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, source);
  const result = spawnSync(biome, ["lint", relativePath], { cwd: scratch, encoding: "utf8" });
  return result.stdout + result.stderr;
}

for (const dir of ["platform", "sync", "mirror", "network", "services"]) {
  test(`lint: core folder src/${dir} rejects node imports, Date, Math.random and timers`, () => {
    const out = lint(`src/${dir}/probe.ts`, impure);
    assert.match(out, /noRestrictedImports/);
    assert.match(out, /global variable Date/);
    assert.match(out, /Math\.random/);
    assert.match(out, /global variable setTimeout/);
  });
}

test("lint: runtime folder src/sim may use node, time and timers", () => {
  const out = lint("src/sim/probe.ts", impure);
  assert.doesNotMatch(out, /noRestrictedImports|noRestrictedGlobals|noJsRestrictedProperties/);
});
