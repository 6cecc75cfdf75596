// Tests that need a system tool (clamscan, yara, chromium, nats-server) skip
// locally when it is missing, saying so, but fail in CI (CI=true), where
// scripts/setup-system.sh must have installed it.
import { spawnSync } from "node:child_process";

export function findTool(name: string): string | undefined {
  const result = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = result.stdout.trim();
  return result.status === 0 && path !== "" ? path : undefined;
}

/**
 * Returns the tool's path, or a skip reason for node:test's `skip` option.
 * In CI a missing tool throws, so the test fails instead of skipping.
 */
export function toolOrSkip(name: string): { path?: string; skip: string | false } {
  const path = findTool(name);
  if (path !== undefined) return { path, skip: false };
  if (process.env.CI === "true") {
    throw new Error(`${name} is missing in CI: scripts/setup-system.sh must install it`);
  }
  return { skip: `${name} not installed (run scripts/setup-system.sh); skipped locally, required in CI` };
}
