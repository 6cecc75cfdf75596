// Prometheus metrics of the live server, written in the text exposition format
// by hand (a few counters, gauges and one histogram do not earn a dependency).
// What operators watch (issue 5): ingest rate, replay lag, divergences,
// connected phones.
import { assert } from "../core/assert.ts";

/** Upper bounds (ms) of the lag histogram buckets: t_syn_int is 60 s by default. */
export const lagBucketsMs = [
  10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000,
];

export class LagHistogram {
  readonly counts = new Array<number>(lagBucketsMs.length).fill(0);
  count = 0;
  sumMs = 0;

  observe(lagMs: number): void {
    assert(Number.isFinite(lagMs), "lag must be finite");
    const value = Math.max(0, lagMs);
    this.count += 1;
    this.sumMs += value;
    for (let i = 0; i < lagBucketsMs.length; i++) {
      if (value <= lagBucketsMs[i]!) {
        this.counts[i]! += 1;
        return;
      }
    }
  }

  /** Approximate quantile from the buckets (upper bound of the bucket). */
  quantileMs(q: number): number {
    assert(q >= 0 && q <= 1, "quantile out of range");
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < lagBucketsMs.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return lagBucketsMs[i]!;
    }
    return Number.POSITIVE_INFINITY;
  }
}

export interface LiveMetricsSnapshot {
  eventsReplayedTotal: number;
  batchesIngestedTotal: number;
  framesRejectedTotal: number;
  authFailuresTotal: number;
  divergencesTotal: number;
  repairsTotal: number;
  networkInputsTotal: number;
  phonesConnected: number;
  mirrorsTotal: number;
  mirrorsRunning: number;
  lag: LagHistogram;
  /** CPU time spent replaying (intake is the rest of the process's CPU). */
  replayCpuSecondsTotal?: number;
  replayBacklogBytes?: number;
  commitsTotal?: number;
  committedFramesTotal?: number;
  /** WebSocket messages that carried a FrameBundle (a phone's burst) rather than one frame. */
  bundlesReceivedTotal?: number;
}

function line(name: string, value: number, labels = ""): string {
  return `${name}${labels} ${Number.isFinite(value) ? value : "+Inf"}\n`;
}

function counter(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} counter\n${line(name, value)}`;
}

function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${line(name, value)}`;
}

function histogram(name: string, help: string, h: LagHistogram): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  let cumulative = 0;
  for (let i = 0; i < lagBucketsMs.length; i++) {
    cumulative += h.counts[i]!;
    out += line(`${name}_bucket`, cumulative, `{le="${lagBucketsMs[i]! / 1000}"}`);
  }
  assert(cumulative <= h.count, "histogram buckets exceed count");
  out += line(`${name}_bucket`, h.count, '{le="+Inf"}');
  out += line(`${name}_sum`, h.sumMs / 1000);
  out += line(`${name}_count`, h.count);
  return out;
}

/** The /metrics body (Prometheus text format 0.0.4). */
export function renderMetrics(m: LiveMetricsSnapshot): string {
  return [
    counter(
      "mirrorcell_events_replayed_total",
      "User inputs replayed on mirrors (each stored durably and acked first).",
      m.eventsReplayedTotal,
    ),
    counter(
      "mirrorcell_batches_ingested_total",
      "Sync batches accepted and stored durably.",
      m.batchesIngestedTotal,
    ),
    counter("mirrorcell_frames_rejected_total", "Frames refused with an error frame.", m.framesRejectedTotal),
    counter(
      "mirrorcell_auth_failures_total",
      "Sync connections refused at authentication.",
      m.authFailuresTotal,
    ),
    counter(
      "mirrorcell_divergences_total",
      "Batches whose mirror digest differed from the phone's.",
      m.divergencesTotal,
    ),
    counter("mirrorcell_repairs_total", "Divergences repaired from the phone.", m.repairsTotal),
    counter(
      "mirrorcell_network_inputs_total",
      "Network inputs recorded by the Traffic Monitor.",
      m.networkInputsTotal,
    ),
    gauge("mirrorcell_phones_connected", "Authenticated sync connections.", m.phonesConnected),
    gauge("mirrorcell_mirrors", "Mirrors known to this server.", m.mirrorsTotal),
    gauge("mirrorcell_mirrors_running", "Mirrors booted and replaying.", m.mirrorsRunning),
    histogram("mirrorcell_replay_lag_seconds", "Replay time minus phone input time.", m.lag),
    counter(
      "mirrorcell_replay_cpu_seconds_total",
      "CPU time spent replaying batches on mirrors (the rest of the process CPU is intake, API and proxy).",
      m.replayCpuSecondsTotal ?? 0,
    ),
    gauge(
      "mirrorcell_replay_backlog_bytes",
      "Wire bytes of durable batches waiting for replay.",
      m.replayBacklogBytes ?? 0,
    ),
    counter("mirrorcell_commits_total", "SQLite group commits.", m.commitsTotal ?? 0),
    counter(
      "mirrorcell_frame_bundles_total",
      "Sync messages that carried several frames (FrameBundle).",
      m.bundlesReceivedTotal ?? 0,
    ),
    counter(
      "mirrorcell_committed_frames_total",
      "Frames and replay steps applied in group commits.",
      m.committedFramesTotal ?? 0,
    ),
  ].join("");
}
