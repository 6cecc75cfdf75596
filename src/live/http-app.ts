// The live server's HTTP API (fastify): health, Prometheus metrics, and the
// admin API over mirrors (list with state/lag/last digest match, one mirror's
// file tree and file download, start/stop/save). buildApp returns an app that
// is not listening: tests call app.inject(), only the server's main listens.
// Admin stop of a mirror whose phone is connected (paper §3.3.2: a mirror runs
// while its phone does): the phone is disconnected first with a clear close
// reason, the mirror is saved and stopped; the phone retries later and its
// next batch restarts the mirror from that save.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { httpStatusOf, type MirrorcellError, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { tokenMatches } from "./auth.ts";
import { type LiveMetricsSnapshot, renderMetrics } from "./metrics.ts";

export type MirrorState = "running" | "stopped" | "unbooted";

export interface MirrorView {
  deviceId: string;
  state: MirrorState;
  connected: boolean;
  /** Highest batch number stored durably and acked to the phone. */
  ackedBatchNo: number;
  /** Highest batch number replayed on the mirror. */
  appliedBatchNo: number;
  networkInputs: number;
  /** Mean replay lag of this mirror's user inputs (ms); undefined before any. */
  meanLagMs: number | undefined;
  /** Whether the mirror digest equalled the phone's after the last batch. */
  lastDigestMatch: boolean | undefined;
  divergences: number;
  digestHex: string | undefined;
}

export interface MirrorFile {
  path: string;
  size: number;
  sha256: Uint8Array;
}

export interface AppDeps {
  adminToken: string;
  listMirrors(): MirrorView[];
  mirror(deviceId: string): MirrorView | undefined;
  files(deviceId: string): Result<MirrorFile[]>;
  readFile(deviceId: string, path: string): Result<Uint8Array>;
  control(deviceId: string, action: "start" | "stop" | "save"): Result<MirrorView>;
  /** Closes the device's sync connection (close code 4001, `reason`); false when it is not connected. */
  disconnectPhone?(deviceId: string, reason: string): boolean;
  metrics(): LiveMetricsSnapshot;
  health(): { ok: boolean; mirrors: number; phonesConnected: number; uptimeMs: number };
  logger?: boolean;
}

function sendError(reply: FastifyReply, error: MirrorcellError): FastifyReply {
  return reply.code(httpStatusOf(error.code)).send({ error: { code: error.code, message: error.message } });
}

/** The close reason a phone sees when an admin stops its mirror. */
export const adminStopReason = "mirror stopped by admin; retry later";

export function buildApp(deps: AppDeps): FastifyInstance {
  assert(deps.adminToken.length >= 16, "admin token too short");
  assert(limits.httpBodyBytesMax > 0, "body limit");
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: limits.httpBodyBytesMax });
  app.get("/health", async () => deps.health());
  app.get("/metrics", async (_req, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(renderMetrics(deps.metrics())),
  );
  app.register(async (admin) => {
    admin.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
      const header = req.headers.authorization;
      const token = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
      if (!tokenMatches(deps.adminToken, token)) {
        return reply.code(401).send({ error: { code: "E_AUTH_REQUIRED", message: "Admin token required" } });
      }
    });
    registerMirrorRoutes(admin, deps);
  });
  return app;
}

function registerMirrorRoutes(admin: FastifyInstance, deps: AppDeps): void {
  admin.get("/api/mirrors", async () => ({ mirrors: deps.listMirrors() }));
  admin.get<{ Params: { id: string } }>("/api/mirrors/:id", async (req, reply) => {
    const view = deps.mirror(req.params.id);
    if (view === undefined) {
      return reply
        .code(404)
        .send({ error: { code: "E_MIRROR_UNKNOWN", message: `No mirror ${req.params.id}` } });
    }
    return view;
  });
  admin.get<{ Params: { id: string } }>("/api/mirrors/:id/files", async (req, reply) => {
    const files = deps.files(req.params.id);
    if (!files.ok) return sendError(reply, files.error);
    return { files: files.value.map((f) => ({ path: f.path, size: f.size, sha256: toHex(f.sha256) })) };
  });
  admin.get<{ Params: { id: string; "*": string } }>("/api/mirrors/:id/file/*", async (req, reply) => {
    const bytes = deps.readFile(req.params.id, `/${req.params["*"]}`);
    if (!bytes.ok) return sendError(reply, bytes.error);
    return reply.type("application/octet-stream").send(Buffer.from(bytes.value));
  });
  for (const action of ["start", "stop", "save"] as const) {
    admin.post<{ Params: { id: string } }>(`/api/mirrors/:id/${action}`, async (req, reply) => {
      const id = req.params.id;
      // A known mirror only: an unknown id must not disconnect anything.
      const disconnected =
        action === "stop" && deps.mirror(id) !== undefined
          ? (deps.disconnectPhone?.(id, adminStopReason) ?? false)
          : false;
      const result = deps.control(id, action);
      if (!result.ok) return sendError(reply, result.error);
      return action === "stop" ? { ...result.value, phoneDisconnected: disconnected } : result.value;
    });
  }
}
