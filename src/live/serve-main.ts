#!/usr/bin/env node
// A lean entry point for `mirrorcell serve` alone: the crash test and the
// ingest bench restart the server often, and loading every other command's
// modules would dominate each restart.
import { Command } from "commander";
import { registerServe } from "../cli/commands/serve.ts";

const program = new Command().name("mirrorcell");
registerServe(program);
await program.parseAsync(process.argv);
