// `npm run bench`: runs every bench/*.ts (or those named on the command line)
// one after another, each in its own process, and passes their lines through.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const only = process.argv.slice(2);
const benches = readdirSync("bench")
  .filter((name) => name.endsWith(".ts") && name !== "run.ts")
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))
  .sort();
let failed = 0;
for (const name of benches) {
  console.log(`# ${name}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", join("bench", name)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.log(`# ${name} failed with exit code ${result.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
