// The phone's side of the caching routes on the mirror server's proxy (paper
// §5.1.1): ask the server to download a URL for the phone, and fetch a cached
// file, which arrives as the network input the Traffic Monitor recorded for
// it. A refusal comes back as the server's typed error ("E_CACHE_EXPIRED: ..."),
// so the phone can tell "expired" from "unknown" from "server down".
import { type ErrorCode, ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import type { NetworkInput } from "../../platform/inputs.ts";
import { type ProxyAnswer, type ProxyClientOptions, proxyAnswer, toNetworkInput } from "../proxy-client.ts";
import { proxySelfHost } from "../proxy-headers.ts";

const knownCodes = new Set<string>(Object.values(ErrorCodes));

/** The server downloads `url` for the phone: the fetch id (the file-cached notice follows). */
export async function requestCacheThroughProxy(
  opts: ProxyClientOptions,
  url: string,
): Promise<Result<string>> {
  const answer = await selfGet(opts, `/cache/request?url=${encodeURIComponent(url)}`);
  if (!answer.ok) return answer;
  if (answer.value.status !== 202) return refusal(answer.value);
  return ok(answer.value.body.toString("utf8").trim());
}

/** The cached file as the recorded network input (apply it in index order). */
export async function fetchCachedThroughProxy(
  opts: ProxyClientOptions,
  cacheId: string,
): Promise<Result<NetworkInput>> {
  const answer = await selfGet(opts, `/cache/file/${encodeURIComponent(cacheId)}`);
  if (!answer.ok) return answer;
  const { status, headers, body } = answer.value;
  return status === 200 ? toNetworkInput(status, headers, body) : refusal(answer.value);
}

function refusal<T>(answer: ProxyAnswer): Result<T> {
  const text = answer.body.toString("utf8").trim();
  const colon = text.indexOf(": ");
  const code = colon > 0 ? text.slice(0, colon) : "";
  if (knownCodes.has(code)) return fail(code as ErrorCode, text.slice(colon + 2));
  return fail(ErrorCodes.UNAVAILABLE, `Proxy answered ${answer.status}: ${text.slice(0, 200)}`);
}

function selfGet(opts: ProxyClientOptions, path: string): Promise<Result<ProxyAnswer>> {
  return proxyAnswer(opts, `http://${proxySelfHost}${path}`, {});
}
