// The raw append child process of bench/live-ingest.ts (RawChild spawns it):
// answers the bench's requests over the IPC channel until told to close.
import { rawChildMain } from "./raw-append.ts";

await rawChildMain();
process.exit(0);
