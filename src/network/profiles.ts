// Link profiles for the flows. Radio rates are the paper's Table 1 "tested"
// figures (3G: up 708 kbps, down 1259 kbps; EDGE: up 140–160, down 170–190,
// midpoints used). Latencies are our assumptions, stated in docs/network.md:
// radio one-way latency 50 ms on 3G (t_max = 100 ms round trip, §3.3.2) and
// 150 ms on EDGE; core links 1 Gbit/s with 1 ms; the Internet hop 100 Mbit/s
// with 20 ms; 1 ms processing per message per node.
import type { NetworkProfile } from "./bus.ts";

export const umts3g: NetworkProfile = {
  name: "3g",
  radioUp: { rateKbps: 708, latencyMs: 50 },
  radioDown: { rateKbps: 1259, latencyMs: 50 },
  core: { rateKbps: 1_000_000, latencyMs: 1 },
  internet: { rateKbps: 100_000, latencyMs: 20 },
  processingMs: 1,
};

export const edge: NetworkProfile = {
  name: "edge",
  radioUp: { rateKbps: 150, latencyMs: 150 },
  radioDown: { rateKbps: 180, latencyMs: 150 },
  core: umts3g.core,
  internet: umts3g.internet,
  processingMs: 1,
};

export const networkProfiles = { "3g": umts3g, edge } as const;
export type NetworkProfileName = keyof typeof networkProfiles;
