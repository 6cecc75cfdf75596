// Renders a flow's trace three ways: a text table for people, a Mermaid
// sequence diagram (the paper's Fig 6–9 as text), and plain JSON data.
// Responses and answers are drawn dashed, as sequence diagrams usually do.
import type { TraceEntry, TraceNote } from "./bus.ts";
import { type FlowResult, participantNames } from "./flows.ts";

const participantOrder = [
  "mobile1",
  "sgsn",
  "cscf1",
  "mms-as",
  "hss",
  "cscf2",
  "mirror",
  "ggsn",
  "web",
  "mail",
  "mobile2",
];

function displayName(node: string): string {
  return (participantNames[node] ?? node).replace("#", "");
}

export function isResponseLabel(label: string): boolean {
  return /^([1-6][0-9]{2} |MSRP [0-9]{3}|HTTP [0-9]{3}|POP3 [+-])/.test(label) || label.endsWith("-Answer");
}

function notesBefore(notes: readonly TraceNote[], step: number): TraceNote[] {
  return notes.filter((note) => note.afterStep === step);
}

export function summaryLine(result: FlowResult): string {
  const latency = result.latenciesMs[0];
  const delivered =
    latency === undefined
      ? "the content never arrived"
      : `${displayName(result.receiver)} has the content ${latency.toFixed(1)} ms after the user's action`;
  return `${result.flow} flow, mirror service ${result.mirror ? "on" : "off"}, ${result.network} network: ${delivered}`;
}

export function renderText(result: FlowResult): string {
  const lines = [
    summaryLine(result),
    "step   time ms  from -> to                        message                           bytes",
  ];
  const push = (entry: TraceEntry) => {
    const hop = `${entry.from} -> ${entry.to}`;
    lines.push(
      `${String(entry.step).padStart(4)}  ${entry.arrivedMs.toFixed(1).padStart(8)}  ${hop.padEnd(32)}  ${entry.label.padEnd(32)}  ${String(entry.bytes).padStart(6)}`,
    );
  };
  result.trace.forEach((entry, index) => {
    for (const note of notesBefore(result.notes, index)) lines.push(`      note ${note.node}: ${note.text}`);
    push(entry);
  });
  for (const note of notesBefore(result.notes, result.trace.length))
    lines.push(`      note ${note.node}: ${note.text}`);
  const bytes = result.bytesByLink;
  lines.push(
    `bytes: radio up ${bytes["radio-up"]}, radio down ${bytes["radio-down"]}, core ${bytes.core}, internet ${bytes.internet}`,
  );
  for (const error of result.errors) lines.push(`error: ${error}`);
  return `${lines.join("\n")}\n`;
}

/** Mermaid actor ids: letters, digits and `_` only (a `-` would read as the start of an arrow). */
function mermaidId(node: string): string {
  return node.replace(/[^A-Za-z0-9_]/g, "_");
}

export function renderMermaid(result: FlowResult): string {
  const used = new Set(result.trace.flatMap((entry) => [entry.from, entry.to]));
  const lines = ["sequenceDiagram"];
  for (const node of participantOrder)
    if (used.has(node)) lines.push(`  participant ${mermaidId(node)} as ${displayName(node)}`);
  const note = (n: TraceNote) =>
    lines.push(`  Note over ${mermaidId(n.node)}: ${n.text.replaceAll(";", ",")}`);
  result.trace.forEach((entry, index) => {
    for (const n of notesBefore(result.notes, index)) note(n);
    const arrow = isResponseLabel(entry.label) ? "-->>" : "->>";
    lines.push(
      `  ${mermaidId(entry.from)}${arrow}${mermaidId(entry.to)}: ${entry.label.replaceAll(";", ",")}`,
    );
  });
  for (const n of notesBefore(result.notes, result.trace.length)) note(n);
  return `${lines.join("\n")}\n`;
}

export function flowJson(result: FlowResult): unknown {
  const describe = (input: {
    timeMs: number;
    app: string;
    kind: string;
    args: readonly string[];
    payload: Uint8Array;
  }) => ({
    timeMs: input.timeMs,
    app: input.app,
    kind: input.kind,
    args: input.args,
    payloadBytes: input.payload.length,
  });
  return {
    flow: result.flow,
    mirror: result.mirror,
    network: result.network,
    receiver: result.receiver,
    startMs: result.startMs,
    deliveredMs: result.deliveredMs,
    latenciesMs: result.latenciesMs,
    bytesByLink: result.bytesByLink,
    trace: result.trace,
    notes: result.notes,
    recorded: result.recorded.map((r) => ({ deviceId: r.deviceId, ...describe(r.input) })),
    received: result.received.map(describe),
    errors: result.errors,
  };
}
