// The phone's side of the Traffic Monitor proxy: fetches a URL through the
// mirror server's forward proxy, authenticated with the device key, and
// returns the network input the server recorded (with its index).
import { request } from "node:http";
import { fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import {
  basicProxyAuth,
  headerApp,
  headerIndex,
  headerTime,
  type InputLabel,
  isAppName,
  labelHeaders,
  proxySelfHost,
  readLabelHeaders,
} from "./proxy-headers.ts";

export interface ProxyClientOptions {
  proxyUrl: string;
  deviceId: string;
  keyHex: string;
}

export type FetchLabel = InputLabel;

const proxyTimeoutMs = 30_000;

/** Fetches `url` through the proxy, labelled with the app input it is. */
export function fetchThroughProxy(
  opts: ProxyClientOptions,
  url: string,
  label: FetchLabel,
): Promise<Result<NetworkInput>> {
  return proxyGet(opts, url, labelHeaders(label));
}

/** Asks the proxy to deliver again a network input it recorded (lost response). */
export function redeliverThroughProxy(
  opts: ProxyClientOptions,
  index: number,
): Promise<Result<NetworkInput>> {
  return proxyGet(opts, `http://${proxySelfHost}/network/${index}`, {});
}

async function proxyGet(
  opts: ProxyClientOptions,
  url: string,
  headers: Record<string, string>,
): Promise<Result<NetworkInput>> {
  const answer = await proxyAnswer(opts, url, headers);
  if (!answer.ok) return answer;
  return toNetworkInput(answer.value.status, answer.value.headers, answer.value.body);
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET through the proxy, answered with any status (the caching routes answer 202 too). */
export function proxyAnswer(
  opts: ProxyClientOptions,
  url: string,
  headers: Record<string, string>,
): Promise<Result<ProxyAnswer>> {
  const proxy = new URL(opts.proxyUrl);
  return new Promise((resolve) => {
    const req = request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method: "GET",
        path: url,
        timeout: proxyTimeoutMs,
        headers: {
          ...headers,
          host: new URL(url).host,
          "proxy-authorization": basicProxyAuth(opts.deviceId, opts.keyHex),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.networkPayloadBytesMax) res.destroy(new Error("payload too large"));
          else chunks.push(chunk);
        });
        res.on("end", () =>
          resolve(ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })),
        );
        res.on("error", (error) => resolve(fail("E_UNAVAILABLE", `Proxy response failed: ${error.message}`)));
      },
    );
    req.on("timeout", () => req.destroy(new Error("proxy timed out")));
    req.on("error", (error) => resolve(fail("E_UNAVAILABLE", `Cannot reach the proxy: ${error.message}`)));
    req.end();
  });
}

/** A proxy delivery (status, network-input headers, body) as the input it carries. */
export function toNetworkInput(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): Result<NetworkInput> {
  if (status !== 200)
    return fail("E_UNAVAILABLE", `Proxy answered ${status}: ${body.toString("utf8").trim()}`);
  const index = Number(headers[headerIndex]);
  const timeMs = Number(headers[headerTime]);
  const label = readLabelHeaders(headers);
  if (
    !Number.isSafeInteger(index) ||
    index < 1 ||
    !Number.isSafeInteger(timeMs) ||
    !isAppName(headers[headerApp])
  ) {
    return fail("E_HTTP_MALFORMED", "Proxy response lacks the network input headers");
  }
  if (label === undefined) return fail("E_HTTP_MALFORMED", "Proxy response has bad labels");
  const payload = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return ok({ index, timeMs, ...label, payload });
}
