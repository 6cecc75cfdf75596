// Registering the commands is cheap (issue 4/5 leftovers, CLI start-up): every
// command declares its options and help without loading its implementation,
// which each action imports when the command runs.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { Command, CommanderError } from "commander";
import { defaultOptions } from "../../sim/options.ts";
import { registerCommands } from "./index.ts";
import { simulationOptionsFrom } from "./simulate-action.ts";

const commandsDir = new URL("./", import.meta.url);

function program(): { program: Command; out: () => string } {
  let written = "";
  const root = new Command().name("mirrorcell").configureHelp({ sortSubcommands: true });
  registerCommands(root);
  const capture = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => (written += s), writeErr: (s) => (written += s) });
    for (const sub of c.commands) capture(sub);
  };
  capture(root);
  return { program: root, out: () => written };
}

/** Runs `mirrorcell ...args --help` in this process; the help's text (commander exits through an error). */
async function helpOf(args: string[]): Promise<string> {
  const { program: root, out } = program();
  await assert.rejects(root.parseAsync([...args, "--help"], { from: "user" }), (e: unknown) => {
    return e instanceof CommanderError && e.code === "commander.helpDisplayed" && e.exitCode === 0;
  });
  return out();
}

test("cli: every command and subcommand prints its help with each of its options", async () => {
  const { program: root } = program();
  const names = root.commands.map((c) => c.name()).sort();
  assert.deepEqual(names, [
    "cache",
    "demo",
    "enroll",
    "flows",
    "load",
    "model",
    "phone",
    "report",
    "scan",
    "serve",
    "simulate",
  ]);
  for (const command of root.commands) {
    const paths =
      command.commands.length === 0
        ? [[command.name()]]
        : command.commands.map((s) => [command.name(), s.name()]);
    for (const path of paths) {
      const help = await helpOf(path);
      assert.match(help, new RegExp(`^Usage: mirrorcell ${path.join(" ")} `), path.join(" "));
      const leaf = path.reduce((c: Command, name) => c.commands.find((s) => s.name() === name)!, root);
      for (const option of leaf.options)
        assert.ok(help.includes(option.flags), `${path.join(" ")}: ${option.flags}`);
    }
  }
});

test("cli: the registration modules import no command's implementation (only types of it)", () => {
  const light = readdirSync(commandsDir).filter(
    (f) =>
      f.endsWith(".ts") &&
      !f.endsWith(".test.ts") &&
      !f.endsWith("-action.ts") &&
      f !== "live-phone-options.ts",
  );
  assert.ok(light.length >= 12, `registration modules: ${light.join(", ")}`);
  // What a registration may load: commander, the CLI's error edge, the bounds, the
  // simulator's defaults (src/sim/options.ts), the two name lists its help shows
  // (modules with no imports) and other registration modules.
  const allowed =
    /^(\.\.\/fail\.ts|\.\.\/\.\.\/core\/limits\.ts|\.\.\/\.\.\/sim\/options\.ts|\.\.\/\.\.\/network\/flow-names\.ts|\.\.\/\.\.\/live\/caching\/fetch-cached-policy\.ts|commander)$/;
  for (const file of light) {
    const source = readFileSync(new URL(file, commandsDir), "utf8");
    for (const match of source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms)) {
      const [, typeOnly, spec] = match;
      if (typeOnly !== undefined) continue;
      const sibling = spec!.startsWith("./") && light.includes(spec!.slice(2));
      assert.ok(sibling || allowed.test(spec!), `${file} loads ${spec} at registration`);
    }
    for (const match of source.matchAll(/await import\("([^"]+)"\)/g)) {
      assert.match(match[1]!, /^\.\/[a-z-]+-action\.ts$/, `${file}: lazy import of ${match[1]}`);
    }
  }
});

test("cli: simulate: the defaults commander fills in are the simulator's defaults", () => {
  const simulate = program().program.commands.find((c) => c.name() === "simulate")!;
  const defaults = Object.fromEntries(
    simulate.options
      .filter((o) => o.defaultValue !== undefined)
      .map((o) => [o.attributeName(), o.defaultValue]),
  );
  const options = simulationOptionsFrom({ ...defaults, seed: String(defaultOptions.seed) } as never);
  for (const key of [
    "phones",
    "hours",
    "network",
    "rates",
    "syncIntervalMs",
    "eventsPerSec",
    "payloadScale",
  ] as const) {
    assert.deepEqual(options[key], defaultOptions[key], key);
  }
  assert.deepEqual(options.faults, defaultOptions.faults);
});
