// `mirrorcell flows`: the paper's message flows (§4.2, Fig 6–9, and email) on
// the UMTS model with or without the mirror service. Options and help only;
// the network model loads with flows-action.ts when the command runs.
import type { Command } from "commander";
import { flowNames } from "../../network/flow-names.ts";
import { exitWithError } from "../fail.ts";
import type { FlowsOpts } from "./flows-action.ts";

export function registerFlows(program: Command): void {
  program
    .command("flows")
    .description(
      "Run the paper's UMTS message flows (MMS Fig 6-7, web Fig 8-9, email) with or without the mirror service and print the trace.",
    )
    .argument("[flow]", `one of ${flowNames.join(", ")}; all when omitted`)
    .option("--mirror <on|off>", "the receiving phone subscribes to the mirror service", "off")
    .option(
      "--format <text|mermaid|json>",
      "output: a text table, a Mermaid sequence diagram, or JSON",
      "text",
    )
    .option("--network <3g|edge>", "radio link rates from the paper's Table 1", "3g")
    .option("--size <bytes>", "size of the MMS media, web page or email")
    .option("--chunk <bytes>", "MSRP chunk size for MMS")
    .option("--seed <n>", "seed for the generated content", "1")
    .option(
      "--overhead",
      "print the latency and bytes the mirror path adds per flow (first and later rounds)",
    )
    .option("--json", "same as --format json")
    .option("--write-docs <dir>", "write the Mermaid documents for Fig 6-9 and email into <dir> (docs/flows)")
    .addHelpText(
      "after",
      "\nExamples:\n  mirrorcell flows mms --mirror on\n  mirrorcell flows web --mirror on --format mermaid\n  mirrorcell flows --overhead --network edge\n",
    )
    .action(async (flow: string | undefined, opts: FlowsOpts & { json?: boolean }) => {
      try {
        const { runFlows } = await import("./flows-action.ts");
        runFlows(flow, opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
