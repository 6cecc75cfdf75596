// What a simulated phone retains (issue 4: the heap per phone drives GC
// marking and cache misses, which grow with simulated time). Runs a fleet
// in-process, writes a V8 heap snapshot at 95 % of the run, then splits the
// heap by owner: every object is charged to the nearest "owner edge" on its
// first path from the GC roots (the last `Class.property` of one of our
// classes crossed, e.g. `MstNode.keys`, `Storage.blobs`), under a context
// (the chain of the last two of our "big" classes crossed: CorePhone >
// Platform(phone), MirrorServer > Platform(mirror), SyncClient...). Objects
// shared by many owners go to the first one found, except the factory
// template, the per-device rekeyed templates and the shared-content table,
// which are labelled first, in that order. Sizes are V8's self sizes (array
// buffers' contents included), divided by the phone count.
//   node --import tsx bench/platform-heap.ts [--phones 200] [--hours 0.25] [--seed 7] [--top 60] [--dir /tmp] [--json OUT] [--detail TEXT]
//   node --import tsx bench/platform-heap.ts --analyze FILE.heapsnapshot [--phones 200]
import { readFileSync, writeFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";
import { defaultOptions, runSimulation } from "../src/sim/index.ts";

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const phones = Number(arg("phones", "200"));
const hours = Number(arg("hours", "0.25"));
const seed = Number(arg("seed", "7"));
const top = Number(arg("top", "60"));
const analyzeOnly = arg("analyze", "");
const snapshotDir = arg("dir", "/tmp");
/** Bytes per label as JSON, to subtract a smaller fleet's (fixed costs) from a larger one's. */
const jsonOut = arg("json", "");
/** Splits the owners whose label contains this text by node type and name. */
const detail = arg("detail", "");

/** Our classes that own things: crossing one of their properties names the owner. */
const contextClasses = new Set([
  "CorePhone",
  "CoreServer",
  "Platform",
  "SyncClient",
  "SyncServer",
  "MirrorServer",
  "TrafficMonitor",
  "InvariantChecker",
  "Workload",
  "Fleet",
  "Link",
  "EventQueue",
  "MemoryMirrorStore",
  "BlobStore",
  "ReplaySchedule",
  "SharedContent",
  "LevelKey",
]);
/** Plain-data holders: not owners, their contents stay charged to who holds them. */
const notOwners = new Set([
  "Object",
  "Array",
  "Map",
  "Set",
  "WeakMap",
  "Uint8Array",
  "ArrayBuffer",
  "Int32Array",
  "Uint32Array",
  "Float64Array",
  "system / Context",
]);

interface Heap {
  nodeFields: number;
  edgeFields: number;
  nodes: Float64Array;
  edges: Uint32Array;
  firstEdge: Uint32Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
}

function loadHeap(file: string): Heap {
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const meta = raw.snapshot.meta;
  const nodeFields = meta.node_fields.length as number;
  const edgeFields = meta.edge_fields.length as number;
  const nodes = Float64Array.from(raw.nodes as number[]);
  const edges = Uint32Array.from(raw.edges as number[]);
  const count = nodes.length / nodeFields;
  const firstEdge = new Uint32Array(count + 1);
  const edgeCountAt = meta.node_fields.indexOf("edge_count");
  for (let i = 0; i < count; i++)
    firstEdge[i + 1] = firstEdge[i]! + nodes[i * nodeFields + edgeCountAt]! * edgeFields;
  return {
    nodeFields,
    edgeFields,
    nodes,
    edges,
    firstEdge,
    strings: raw.strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
  };
}

function analyze(file: string): void {
  const h = loadHeap(file);
  const count = h.nodes.length / h.nodeFields;
  const typeOf = (n: number) => h.nodeTypes[h.nodes[n * h.nodeFields]!]!;
  const nameOf = (n: number) => h.strings[h.nodes[n * h.nodeFields + 1]!]!;
  const sizeOf = (n: number) => h.nodes[n * h.nodeFields + 3]!;
  const weak = h.edgeTypes.indexOf("weak");
  const elementish = new Set([h.edgeTypes.indexOf("element"), h.edgeTypes.indexOf("hidden")]);
  const edgeName = (e: number) => {
    const type = h.edges[e]!;
    return elementish.has(type) ? `[${h.edges[e + 1]}]` : String(h.strings[h.edges[e + 1]!]);
  };
  const eachEdge = (n: number, fn: (to: number, e: number) => void) => {
    for (let e = h.firstEdge[n]!; e < h.firstEdge[n + 1]!; e += h.edgeFields) {
      if (h.edges[e] !== weak) fn(h.edges[e + 2]! / h.nodeFields, e);
    }
  };
  const property = (n: number, name: string): number | undefined => {
    let found: number | undefined;
    eachEdge(n, (to, e) => {
      if (found === undefined && edgeName(e) === name) found = to;
    });
    return found;
  };
  const isObject = (n: number, name: string) => typeOf(n) === "object" && nameOf(n) === name;

  const labels: string[] = [];
  const labelIds = new Map<string, number>();
  const labelOf = new Int32Array(count).fill(-1);
  const contextOf: string[] = new Array(count);
  const ownerOf: string[] = new Array(count);
  const idOf = (text: string) => {
    let id = labelIds.get(text);
    if (id === undefined) {
      id = labels.length;
      labels.push(text);
      labelIds.set(text, id);
    }
    return id;
  };
  const contextName = (n: number): string => {
    const name = nameOf(n);
    if (name !== "Platform") return name;
    const mode = property(n, "mode");
    return `Platform(${mode === undefined ? "?" : nameOf(mode)})`;
  };

  const noFollow = new Set(["map", "__proto__", "constructor", "prototype"]);
  const contextEdge = h.edgeTypes.indexOf("context");
  /**
   * Breadth-first from `starts`, charging each new node to its owner edge
   * within `phase`. `dataOnly`: follow data, not code, scopes, prototypes or
   * hidden classes (a shared structure's own bytes, not the world it links to).
   */
  const label = (starts: number[], phase: string, startContext: string, dataOnly = false) => {
    const queue: number[] = [];
    for (const s of starts) {
      if (labelOf[s] !== -1) continue;
      contextOf[s] = startContext;
      ownerOf[s] = "(start)";
      labelOf[s] = idOf(`${phase} | ${startContext} | (start)`);
      queue.push(s);
    }
    for (let head = 0; head < queue.length; head++) {
      const n = queue[head]!;
      const parentIsOwner = typeOf(n) === "object" && !notOwners.has(nameOf(n));
      const parentContext = contextOf[n]!;
      eachEdge(n, (to, e) => {
        if (labelOf[to] !== -1) return;
        if (dataOnly && !isData(to, e)) return;
        let context = parentContext;
        let owner = ownerOf[n]!;
        if (parentIsOwner) owner = `${nameOf(n)}.${edgeName(e)}`;
        if (typeOf(to) === "object" && contextClasses.has(nameOf(to))) {
          const last = context.split(" > ").pop();
          context = last === undefined || last === "" ? contextName(to) : `${last} > ${contextName(to)}`;
        }
        contextOf[to] = context;
        ownerOf[to] = owner;
        labelOf[to] = idOf(`${phase} | ${context} | ${owner}`);
        queue.push(to);
      });
    }
  };

  const isData = (to: number, e: number) => {
    const type = typeOf(to);
    if (h.edges[e] === contextEdge || noFollow.has(edgeName(e))) return false;
    if (type === "closure" || type === "code" || type === "object shape") return false;
    return !(type === "object" && contextClasses.has(nameOf(to)));
  };
  // phase A: the shared structures, so per-phone owners are not charged for them
  const templates: number[] = [];
  const rekeyed: number[] = [];
  const sharedTables: number[] = [];
  for (let n = 0; n < count; n++) {
    if (typeOf(n) !== "object") continue;
    const snapshot = property(n, "snapshot");
    if (
      snapshot !== undefined &&
      property(n, "sha256") !== undefined &&
      property(snapshot, "storage") !== undefined
    ) {
      templates.push(snapshot);
    }
    const to = property(n, "to");
    if (to !== undefined && property(n, "from") !== undefined && isObject(to, "StorageSnapshot"))
      rekeyed.push(to);
    if (isObject(n, "SharedContent")) sharedTables.push(n);
  }
  label(templates, "A1 factory template", "", true);
  label(rekeyed, "A2 per-device rekeyed template", "", true);
  label(sharedTables, "A3 shared-content table", "", true);
  label([0], "B", "");

  const bytesByLabel = new Float64Array(labels.length);
  const objectsByLabel = new Float64Array(labels.length);
  const bytesByClass = new Map<string, number>();
  let total = 0;
  let unlabelled = 0;
  for (let n = 0; n < count; n++) {
    const size = sizeOf(n);
    total += size;
    const id = labelOf[n]!;
    if (id < 0) {
      unlabelled += size;
      continue;
    }
    bytesByLabel[id] = bytesByLabel[id]! + size;
    objectsByLabel[id] = objectsByLabel[id]! + 1;
    const cls = `${typeOf(n)}:${nameOf(n).slice(0, 40)}`;
    bytesByClass.set(cls, (bytesByClass.get(cls) ?? 0) + size);
  }
  if (jsonOut !== "") {
    const out: Record<string, number> = {};
    for (let id = 0; id < labels.length; id++) out[labels[id]!] = bytesByLabel[id]!;
    writeFileSync(jsonOut, JSON.stringify(out));
  }
  const perPhone = (bytes: number) => (bytes / phones / 1024).toFixed(2);
  console.log(`heap snapshot ${file}: ${count} nodes, ${(total / 2 ** 20).toFixed(1)} MiB self size`);
  console.log(
    `per phone: ${perPhone(total)} KiB (phones=${phones}); unreachable ${perPhone(unlabelled)} KiB`,
  );
  const order = labels.map((_, i) => i).sort((a, b) => bytesByLabel[b]! - bytesByLabel[a]!);
  console.log("\nKiB/phone  objects/phone  phase | context | owner edge");
  for (const id of order.slice(0, top)) {
    console.log(
      `${perPhone(bytesByLabel[id]!).padStart(9)}  ${(objectsByLabel[id]! / phones).toFixed(1).padStart(13)}  ${labels[id]}`,
    );
  }
  const contexts = new Map<string, number>();
  for (let id = 0; id < labels.length; id++) {
    const [phase, context] = labels[id]!.split(" | ");
    const key = `${phase} | ${context}`;
    contexts.set(key, (contexts.get(key) ?? 0) + bytesByLabel[id]!);
  }
  console.log("\nby context: KiB/phone");
  for (const [key, bytes] of [...contexts].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${perPhone(bytes).padStart(9)}  ${key}`);
  }
  if (detail !== "") {
    const inside = new Map<string, number>();
    for (let n = 0; n < count; n++) {
      const id = labelOf[n]!;
      if (id < 0 || !labels[id]!.includes(detail)) continue;
      const cls = `${typeOf(n)}:${nameOf(n).slice(0, 40)}`;
      inside.set(cls, (inside.get(cls) ?? 0) + sizeOf(n));
    }
    console.log(`\ninside owners matching ${JSON.stringify(detail)}: KiB/phone`);
    for (const [key, bytes] of [...inside].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      console.log(`${perPhone(bytes).padStart(9)}  ${key}`);
    }
  }
  console.log("\nby node type:name: KiB/phone");
  for (const [key, bytes] of [...bytesByClass].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${perPhone(bytes).padStart(9)}  ${key}`);
  }
}

if (analyzeOnly !== "") {
  analyze(analyzeOnly);
} else {
  let file = "";
  const report = runSimulation(
    { ...defaultOptions, seed, phones, hours, eventsPerSec: 0.5, syncIntervalMs: 60_000 },
    {
      onProgress: (fraction) => {
        if (file === "" && fraction >= 0.95)
          file = writeHeapSnapshot(`${snapshotDir}/platform-heap-${process.pid}.heapsnapshot`);
      },
    },
  );
  console.log(`simulated ${report.userEvents} user events, ${report.invariantViolations} violations`);
  analyze(file);
}
