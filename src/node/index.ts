export { nodeHashFactory } from "./hash-factory.ts";
export { nodeSha256 } from "./sha256.ts";
export { systemClock } from "./system-clock.ts";
