#!/usr/bin/env node
// The `mirrorcell` command: one subcommand per file in ./commands.
import { Command } from "commander";
import { registerCommands } from "./commands/index.ts";

const program = new Command()
  .name("mirrorcell")
  .description(
    "Keep a live mirror of every smartphone in the operator network; run heavy work on the mirror.",
  )
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

await program.parseAsync(process.argv);
