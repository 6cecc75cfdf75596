// Every subcommand of `mirrorcell`. Add one line per command module.
import type { Command } from "commander";
import { registerCache } from "./cache.ts";
import { registerDemo } from "./demo.ts";
import { registerEnroll } from "./enroll.ts";
import { registerFlows } from "./flows.ts";
import { registerLoad } from "./load.ts";
import { registerModel } from "./model.ts";
import { registerPhone } from "./phone.ts";
import { registerReport } from "./report.ts";
import { registerScan } from "./scan.ts";
import { registerServe } from "./serve.ts";
import { registerSimulate } from "./simulate.ts";

type Register = (program: Command) => void;

const registrations: Register[] = [
  registerCache,
  registerScan,
  registerModel,
  registerReport,
  registerFlows,
  registerDemo,
  registerServe,
  registerSimulate,
  registerEnroll,
  registerPhone,
  registerLoad,
];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
