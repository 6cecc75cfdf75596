// The antivirus service in the live server (paper §5.2): the sans-IO
// ServiceHost + AntivirusMirrorService, hooked to the core's replay. The
// replay hook only snapshots and queues; scan jobs advance one bounded step
// per event-loop turn (setImmediate), so sockets, intake and replay run
// between steps and a large scan never stalls the server. Results are
// recorded as network inputs by the Traffic Monitor (the phone fetches them
// through the proxy like any recorded input) plus a notice.
import { assert } from "../../core/assert.ts";
import type { Clock, Sha256 } from "../../core/ports.ts";
import type { AntivirusService, MirrorStorage } from "../../services/antivirus/index.ts";
import { AntivirusMirrorService } from "../../services/antivirus/mirror-service.ts";
import type { NetworkDelivery, NoticeSink, StepBudget } from "../../services/api.ts";
import { defaultStepBudget, ServiceHost } from "../../services/service-host.ts";
import type { ServiceHooks } from "../live-server.ts";

export interface LiveAntivirusOptions {
  clock: Clock;
  sha256: Sha256;
  notices: NoticeSink;
  network: NetworkDelivery;
  service: AntivirusService;
  storageOf(deviceId: string): MirrorStorage | undefined;
  /** Scan every file replay writes, not only on request. */
  onTheFly: boolean;
  budget?: StepBudget;
}

export class LiveAntivirusRuntime {
  readonly host: ServiceHost;
  readonly antivirus: AntivirusMirrorService;
  private readonly budget: StepBudget;
  private scheduled: NodeJS.Immediate | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: LiveAntivirusOptions) {
    this.budget = options.budget ?? defaultStepBudget;
    assert(this.budget.filesMax >= 1 && this.budget.bytesMax >= 1, "a step may scan at least one file");
    this.host = new ServiceHost({
      sha256: options.sha256,
      outbox: { send: () => assert(false, "the antivirus sends nothing out of the server") },
      fetcher: { fetch: () => assert(false, "the antivirus fetches nothing") },
      notices: options.notices,
      network: options.network,
    });
    this.antivirus = this.host.register(
      (ports) =>
        new AntivirusMirrorService(ports, {
          service: options.service,
          storageOf: options.storageOf,
          onTheFly: options.onTheFly,
        }),
    );
  }

  /** The mirror replayed an input (user or network; call after the platform applied it). */
  replayed(deviceId: string, app: string | undefined): void {
    if (this.closed) return;
    this.antivirus.replayed(deviceId, this.options.clock.nowMs(), app);
    this.schedule();
  }

  /** Resolves when no scan job is waiting or running. */
  idle(): Promise<void> {
    if (this.closed || !this.host.hasStepWork()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.wake();
  }

  /** One step per event-loop turn: I/O callbacks (intake, replay timers) run in between. */
  private schedule(): void {
    if (this.closed || this.scheduled !== undefined) return;
    if (!this.host.hasStepWork()) {
      this.wake();
      return;
    }
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      if (this.closed) return;
      this.host.step(this.options.clock.nowMs(), this.budget);
      assert(this.scheduled === undefined, "one step per event-loop turn");
      this.schedule();
    });
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

export interface AntivirusAttachOptions {
  clock: Clock;
  sha256: Sha256;
  service: AntivirusService;
  onTheFly: boolean;
  budget?: StepBudget;
}

/** Hooks the antivirus into a live core (ServiceHooks from createLiveCore); returns its runtime. */
export function attachAntivirus(hooks: ServiceHooks, options: AntivirusAttachOptions): LiveAntivirusRuntime {
  assert(typeof hooks.onReplayedInput === "function", "hooks without a replay hook");
  const runtime = new LiveAntivirusRuntime({
    ...options,
    notices: { queueNotice: hooks.queueNotice },
    network: { deliver: hooks.recordNetwork },
    storageOf: (deviceId) => hooks.view(deviceId),
  });
  hooks.onReplayedInput((deviceId, event) =>
    runtime.replayed(deviceId, event.kind === "user" ? event.input.app : undefined),
  );
  return runtime;
}
