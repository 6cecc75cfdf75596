// The action of `mirrorcell serve` (options in serve.ts, loaded when the
// command runs): the live mirror server process (issue 5). Listens on
// loopback by default; SIGTERM/SIGINT stop accepting, flush pending commits
// and close the database.
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { setSlabViews } from "../../core/byte-slab.ts";
import { MirrorcellError } from "../../core/errors.ts";
import { attachAntivirus, loadDatabases, nodeHashFactory } from "../../live/antivirus/index.ts";
import { attachCaching, type LiveCachingRuntime, recipientUrlsUnder } from "../../live/caching/index.ts";
import { createLiveCore } from "../../live/core-adapter.ts";
import { liveFrameCodec } from "../../live/frame-codec.ts";
import { type ServiceHooks, startLiveServer } from "../../live/live-server.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import { systemClock } from "../../node/system-clock.ts";
import { AntivirusService, DatabaseHolder } from "../../services/antivirus/index.ts";
import {
  type CachingPolicy,
  defaultCachingPolicy,
  validateCachingPolicy,
} from "../../services/caching/settings.ts";
import { exitWithError } from "../fail.ts";
import { missingStartFlags, rerunWithFlags, stopWithParent } from "../serve-start-flags.ts";

export interface ServeOptions {
  data: string;
  host: string;
  port: string;
  proxyPort: string;
  adminToken?: string;
  syncNormal?: boolean;
  logLevel: string;
  services?: string;
  recipientUrl?: string;
  recipientsFile?: string;
  cacheRetention?: string;
  scanDb?: string[];
  scanOnTheFly?: boolean;
}

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MirrorcellError("E_USAGE", `Cannot use ${what} "${text}": expected an integer 0-65535`);
  }
  return port;
}

/** --services: what to attach to the core, and how to stop it. */
function servicesOf(opts: ServeOptions): {
  attach: ((hooks: ServiceHooks) => void) | undefined;
  close(): void;
} {
  const names = (opts.services ?? "").split(",").filter((n) => n !== "");
  const unknown = names.find((n) => n !== "caching" && n !== "antivirus");
  if (unknown !== undefined)
    throw new MirrorcellError("E_USAGE", `Unknown service "${unknown}": expected caching or antivirus`);
  const attachers = [
    ...(names.includes("caching") ? [cachingAttacher(opts)] : []),
    ...(names.includes("antivirus") ? [antivirusAttacher(opts)] : []),
  ];
  if (attachers.length === 0) return { attach: undefined, close: () => undefined };
  const closers: (() => void)[] = [];
  return {
    attach: (hooks) => {
      for (const attach of attachers) closers.push(attach(hooks));
    },
    close: () => {
      for (const close of closers) close();
    },
  };
}

type Attacher = (hooks: ServiceHooks) => () => void;

function cachingAttacher(opts: ServeOptions): Attacher {
  const recipientUrlOf = recipientUrlOfOptions(opts);
  const policy = cachingPolicyOf(opts.cacheRetention);
  return (hooks) => {
    const runtime: LiveCachingRuntime = attachCaching(hooks, {
      clock: systemClock,
      sha256: nodeSha256,
      recipientUrlOf,
      policy,
    });
    return () => runtime.close();
  };
}

/** The signature database is loaded once, before the server listens: a bad file stops start-up. */
function antivirusAttacher(opts: ServeOptions): Attacher {
  if (opts.scanDb === undefined || opts.scanDb.length === 0)
    throw new MirrorcellError("E_USAGE", "--services antivirus needs --scan-db FILE...");
  const loaded = loadDatabases(opts.scanDb);
  const service = new AntivirusService({
    database: new DatabaseHolder(loaded.engine),
    hash: nodeHashFactory,
  });
  const onTheFly = opts.scanOnTheFly === true;
  return (hooks) => {
    const runtime = attachAntivirus(hooks, { clock: systemClock, sha256: nodeSha256, service, onTheFly });
    return () => runtime.close();
  };
}

/** --cache-retention: the operator's retention time (paper §5.1.1 "depending on the TSP policy"). */
function cachingPolicyOf(retentionS: string | undefined): CachingPolicy {
  if (retentionS === undefined) return defaultCachingPolicy;
  const policy = validateCachingPolicy({
    ...defaultCachingPolicy,
    retentionMs: Math.round(Number(retentionS) * 1000),
  });
  if (!policy.ok) throw new MirrorcellError("E_USAGE", `--cache-retention: ${policy.error.message}`);
  return policy.value;
}

function recipientUrlOfOptions(opts: ServeOptions): (address: string) => string | undefined {
  if (opts.recipientsFile !== undefined) {
    let table: unknown;
    try {
      table = JSON.parse(readFileSync(opts.recipientsFile, "utf8"));
    } catch (error) {
      throw new MirrorcellError("E_USAGE", `Cannot read --recipients-file: ${String(error)}`);
    }
    if (typeof table !== "object" || table === null || Array.isArray(table))
      throw new MirrorcellError("E_USAGE", "--recipients-file must hold a JSON object of address: URL");
    const urls = new Map(
      Object.entries(table).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    const fallback = opts.recipientUrl === undefined ? undefined : recipientUrlsUnder(opts.recipientUrl);
    return (address) => urls.get(address) ?? fallback?.(address);
  }
  if (opts.recipientUrl === undefined)
    throw new MirrorcellError("E_USAGE", "--services caching needs --recipient-url or --recipients-file");
  return recipientUrlsUnder(opts.recipientUrl);
}

/** The action of `mirrorcell serve` (registered in serve.ts): runs until SIGTERM/SIGINT. */
export async function serve(opts: ServeOptions): Promise<void> {
  const missing = missingStartFlags();
  if (missing.length > 0) {
    rerunWithFlags(missing);
    return;
  }
  // a server runs for days: no slab views, so memory follows the bytes its mirrors keep (core/byte-slab.ts)
  setSlabViews(false);
  const log = pino({ level: opts.logLevel }, pino.destination(2));
  const services = servicesOf(opts);
  const server = await startLiveServer({
    dataDir: opts.data,
    host: opts.host,
    port: parsePort(opts.port, "--port"),
    proxyPort: parsePort(opts.proxyPort, "--proxy-port"),
    adminToken: opts.adminToken,
    synchronousFull: opts.syncNormal !== true,
    clock: systemClock,
    sha256: nodeSha256,
    log,
    codec: liveFrameCodec,
    makeCore: createLiveCore,
    services: services.attach,
  });
  process.stdout.write(
    `mirror server: ${server.httpUrl}  sync: ${server.syncUrl}  proxy: ${server.proxyUrl}\n`,
  );
  if (server.adminTokenCreated) {
    process.stdout.write(
      `admin token (stored in ${opts.data}/admin-token, shown once): ${server.adminToken}\n`,
    );
  }
  const stop = (signal: string) => {
    log.info({ signal }, "shutting down");
    services.close();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => exitWithError(error),
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  stopWithParent(() => stop("parent gone"));
}
