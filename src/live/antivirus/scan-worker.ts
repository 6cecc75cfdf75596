// Worker-thread entry of the scan pool: loads the compiled database it is
// handed (shared memory, no re-parse) and scans the files it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { assert } from "../../core/assert.ts";
// Direct imports keep the worker's module graph (and its start-up) small.
import { deserializeEngine } from "../../services/antivirus/compiled-format.ts";
import { scanFile } from "./scan-file.ts";

export interface ScanTask {
  id: number;
  path: string;
  size: number;
  allMatch: boolean;
}

assert(parentPort !== null, "scan-worker runs in a worker thread");
const loaded = deserializeEngine(new Uint8Array(workerData.compiled as SharedArrayBuffer));
assert(loaded.ok, "the pool hands workers a valid compiled database");
const engine = loaded.value;
const port = parentPort;

port.on("message", (task: ScanTask) => {
  port.postMessage({ id: task.id, verdict: scanFile(engine, task.path, task.size, task.allMatch) });
});
