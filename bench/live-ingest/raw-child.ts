// The raw append child process of bench/live-ingest.ts (RawChild spawns it):
// answers the bench's requests over the IPC channel until told to close.
import { tuneV8ForServer } from "../../src/live/v8-tuning.ts";
import { rawChildMain } from "./raw-append.ts";

// The server's V8 settings (startLiveServer applies them in the server child): the same treatment.
tuneV8ForServer();

await rawChildMain();
process.exit(0);
