#!/usr/bin/env node
// A lean entry point for `mirrorcell serve` alone: the crash test and the
// ingest bench restart the server often, and loading every other command's
// modules would dominate each restart. With --standby it loads its modules,
// then waits for a line on stdin before serving (a warm standby: after a
// kill -9 the replacement only has to open the store and listen).
import { Command } from "commander";
import { preloadServe, registerServe } from "../cli/commands/serve.ts";

const argv = process.argv.filter((arg) => arg !== "--standby");
if (argv.length !== process.argv.length) {
  // The server's modules load here, before the start line (serve.ts registers without them).
  await preloadServe();
  process.stdout.write("standby\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
}
const program = new Command().name("mirrorcell");
registerServe(program);
await program.parseAsync(argv);
