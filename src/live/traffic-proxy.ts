// The Traffic Monitor in live mode (paper §4.2 Fig 8-9): an HTTP forward
// proxy on the mirror server. A phone's web/download traffic goes through it;
// each response is recorded as a network input of that device (durably,
// before the phone sees it) and then delivered with its index, so phone and
// mirror consume the same inputs in the same order. Loopback targets only.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { assert } from "../core/assert.ts";
import { httpStatusOf, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock } from "../core/ports.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import {
  deliveryHeaders,
  headerApp,
  headerArgs,
  headerKind,
  parseBasicProxyAuth,
  proxySelfHost,
  readLabelHeaders,
} from "./proxy-headers.ts";

export interface TrafficProxyDeps {
  clock: Clock;
  /** True when the key (hex) is this enrolled device's key. */
  authenticate(deviceId: string, keyHex: string): boolean;
  /** Records durably and assigns the index; the proxy delivers only after. */
  record(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput>;
  /** A network input recorded earlier (redelivery after a lost response). */
  recorded(deviceId: string, index: number): NetworkInput | undefined;
  /** The caching service's phone routes (issue 7), when it runs. */
  cache?: CacheRoutes;
  onError?(error: unknown): void;
}

/**
 * Phone-facing caching routes (paper §5.1.1) on the proxy's own host:
 * `/cache/request?url=U` asks the server to download U for the phone (202,
 * the fetch id); `/cache/file/<cacheId>` hands a cached file over as a
 * recorded network input, delivered like any other.
 */
export interface CacheRoutes {
  request(deviceId: string, url: string): Result<string>;
  fetch(deviceId: string, cacheId: string): Result<NetworkInput>;
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const upstreamTimeoutMs = 30_000;

export function createTrafficProxy(deps: TrafficProxyDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      deps.onError?.(error);
      if (!res.headersSent) reply(res, 502, `proxy error: ${String(error)}`);
      else res.destroy();
    });
  });
  server.on("connect", (_req, socket) => {
    // TLS tunnels cannot be recorded as network inputs: refuse them plainly.
    socket.end("HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
  });
  return server;
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}

async function handle(deps: TrafficProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = parseBasicProxyAuth(req.headers["proxy-authorization"]);
  if (auth === undefined || !deps.authenticate(auth.deviceId, auth.keyHex)) {
    res.writeHead(407, { "proxy-authenticate": 'Basic realm="mirrorcell"' });
    res.end("E_AUTH_FAILED: proxy authentication required\n");
    return;
  }
  let target: URL;
  try {
    target = new URL(req.url ?? "");
  } catch {
    reply(res, 400, "E_HTTP_MALFORMED: a forward proxy needs an absolute URL");
    return;
  }
  if (target.hostname === proxySelfHost) {
    if (target.pathname.startsWith("/cache/")) serveCache(deps.cache, auth.deviceId, target, res);
    else redeliver(deps, auth.deviceId, target, res);
    return;
  }
  const label = readLabelHeaders(req.headers);
  if (label === undefined || label.kind === "") {
    reply(
      res,
      400,
      `E_HTTP_MALFORMED: ${headerApp}, ${headerKind} and ${headerArgs} must name the app input`,
    );
    return;
  }
  if (target.protocol !== "http:" || !loopbackHosts.has(target.hostname)) {
    reply(res, 403, "E_ROUTE_UNKNOWN: this proxy forwards to loopback http targets only");
    return;
  }
  const upstream = await fetchUpstream(target, req.method ?? "GET");
  if (!upstream.ok) {
    reply(res, 502, upstream.message);
    return;
  }
  const recorded = deps.record(auth.deviceId, {
    timeMs: deps.clock.nowMs(),
    ...label,
    payload: upstream.body,
  });
  if (!recorded.ok) {
    reply(res, 409, `${recorded.error.code}: ${recorded.error.message}`);
    return;
  }
  assert(recorded.value.index >= 1, "network input index starts at 1");
  deliver(res, recorded.value);
}

function deliver(res: ServerResponse, input: NetworkInput): void {
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": input.payload.length,
    ...deliveryHeaders(input),
  });
  res.end(input.payload);
}

function redeliver(deps: TrafficProxyDeps, deviceId: string, target: URL, res: ServerResponse): void {
  const match = /^\/network\/(\d{1,15})$/.exec(target.pathname);
  const index = match === null ? 0 : Number(match[1]);
  const input = index >= 1 ? deps.recorded(deviceId, index) : undefined;
  if (input === undefined) {
    reply(res, 404, `E_NETWORK_INPUT_MISSING: no network input ${target.pathname} for ${deviceId}`);
    return;
  }
  assert(input.index === index, "redelivered the wrong network input");
  deliver(res, input);
}

function serveCache(
  routes: CacheRoutes | undefined,
  deviceId: string,
  target: URL,
  res: ServerResponse,
): void {
  const file = /^\/cache\/file\/([A-Za-z0-9._-]{1,128})$/.exec(target.pathname);
  const url = target.pathname === "/cache/request" ? target.searchParams.get("url") : null;
  if (routes === undefined || (file === null && url === null)) {
    reply(res, 404, `E_ROUTE_UNKNOWN: no caching route ${target.pathname}`);
    return;
  }
  if (url !== null && !isLoopbackHttp(url)) {
    // A deferred proxied download: the same rule as the forward path.
    reply(res, 403, "E_ROUTE_UNKNOWN: the caching service downloads loopback http URLs only");
    return;
  }
  const answer = file !== null ? routes.fetch(deviceId, file[1]!) : routes.request(deviceId, url!);
  if (!answer.ok)
    reply(res, httpStatusOf(answer.error.code), `${answer.error.code}: ${answer.error.message}`);
  else if (typeof answer.value === "string") reply(res, 202, answer.value);
  else deliver(res, answer.value);
}

function isLoopbackHttp(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" && loopbackHosts.has(url.hostname);
  } catch {
    return false;
  }
}

type Upstream = { ok: true; body: Uint8Array } | { ok: false; message: string };

function fetchUpstream(target: URL, method: string): Promise<Upstream> {
  return new Promise((resolve) => {
    const upstreamReq = request(target, { method, timeout: upstreamTimeoutMs }, (upstreamRes) => {
      const chunks: Buffer[] = [];
      let size = 0;
      upstreamRes.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.networkPayloadBytesMax) {
          upstreamRes.destroy();
          resolve({
            ok: false,
            message: `E_PAYLOAD_TOO_LARGE: response exceeds ${limits.networkPayloadBytesMax} bytes`,
          });
          return;
        }
        chunks.push(chunk);
      });
      upstreamRes.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ ok: true, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
      });
      upstreamRes.on("error", (error) => resolve({ ok: false, message: `E_UNAVAILABLE: ${error.message}` }));
    });
    upstreamReq.on("timeout", () => upstreamReq.destroy(new Error("upstream timed out")));
    upstreamReq.on("error", (error) => resolve({ ok: false, message: `E_UNAVAILABLE: ${error.message}` }));
    upstreamReq.end();
  });
}
