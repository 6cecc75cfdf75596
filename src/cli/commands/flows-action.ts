// The action of `mirrorcell flows` (options in flows.ts, loaded when the
// command runs): runs the paper's message flows (§4.2, Fig 6–9, and
// email) on the UMTS model with or without the mirror service and prints the
// trace as text, a Mermaid sequence diagram or JSON; `--overhead` prints what
// the mirror path adds per flow; `--write-docs DIR` regenerates docs/flows.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import {
  type FlowName,
  flowDocuments,
  flowJson,
  flowNames,
  measureOverhead,
  type NetworkProfileName,
  networkProfiles,
  renderMermaid,
  renderOverheadMarkdown,
  renderText,
  runFlow,
} from "../../network/index.ts";

export interface FlowsOpts {
  mirror: string;
  format: string;
  network: string;
  size?: string;
  chunk?: string;
  seed: string;
  overhead?: boolean;
  writeDocs?: string;
}

function usage(message: string): MirrorcellError {
  return new MirrorcellError(ErrorCodes.USAGE, message);
}

function integerOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw usage(`--${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return parsed;
}

function parse(flow: string | undefined, opts: FlowsOpts) {
  const flows = flow === undefined ? [...flowNames] : [flow as FlowName];
  if (flow !== undefined && !(flowNames as readonly string[]).includes(flow)) {
    throw usage(`flow must be one of ${flowNames.join(", ")}, got ${flow}`);
  }
  if (opts.mirror !== "on" && opts.mirror !== "off")
    throw usage(`--mirror must be on or off, got ${opts.mirror}`);
  if (!["text", "mermaid", "json"].includes(opts.format)) {
    throw usage(`--format must be text, mermaid or json, got ${opts.format}`);
  }
  if (!(opts.network in networkProfiles)) throw usage(`--network must be 3g or edge, got ${opts.network}`);
  return {
    flows,
    mirror: opts.mirror === "on",
    format: opts.format as "text" | "mermaid" | "json",
    network: opts.network as NetworkProfileName,
    contentBytes: integerOption("size", opts.size, 64, limits.mailMessageBytesMax),
    msrpChunkBytes: integerOption("chunk", opts.chunk, 1, limits.msrpChunkBytesMax),
    seed: integerOption("seed", opts.seed, 0, 2 ** 32 - 1) ?? 1,
  };
}

function writeDocs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const doc of flowDocuments()) {
    writeFileSync(join(dir, doc.file), doc.content);
    process.stdout.write(`wrote ${join(dir, doc.file)}\n`);
  }
}

function printOverhead(network: NetworkProfileName, flows: FlowName[], json: boolean): void {
  const rows = measureOverhead(network, flows);
  process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : renderOverheadMarkdown(rows));
}

function run(flow: string | undefined, opts: FlowsOpts): void {
  if (opts.writeDocs !== undefined) {
    writeDocs(opts.writeDocs);
    return;
  }
  const options = parse(flow, opts);
  if (opts.overhead) {
    printOverhead(options.network, options.flows, options.format === "json");
    return;
  }
  const results = options.flows.map((name) =>
    runFlow(name, {
      mirror: options.mirror,
      network: options.network,
      seed: options.seed,
      ...(options.contentBytes === undefined ? {} : { contentBytes: options.contentBytes }),
      ...(options.msrpChunkBytes === undefined ? {} : { msrpChunkBytes: options.msrpChunkBytes }),
    }),
  );
  if (options.format === "json") {
    const data = results.map(flowJson);
    process.stdout.write(`${JSON.stringify(data.length === 1 ? data[0] : data, null, 2)}\n`);
    return;
  }
  const render = options.format === "mermaid" ? renderMermaid : renderText;
  process.stdout.write(results.map(render).join("\n"));
  const failed = results.flatMap((r) => r.errors);
  if (failed.length > 0)
    throw new MirrorcellError(ErrorCodes.ROUTE_UNKNOWN, `flow reported errors: ${failed[0]}`);
}

/** The action of `mirrorcell flows` (registered in flows.ts); --json is --format json. */
export function runFlows(flow: string | undefined, opts: FlowsOpts & { json?: boolean }): void {
  run(flow, opts.json ? { ...opts, format: "json" } : opts);
}
