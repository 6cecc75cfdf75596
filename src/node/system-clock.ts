// Wall-clock time behind the core's Clock port (live runtime only).
import type { Clock } from "../core/ports.ts";

export const systemClock: Clock = { nowMs: () => Date.now() };
