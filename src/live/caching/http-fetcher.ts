// The caching service's Fetcher in the live runtime: an HTTP GET whose body is
// read as a stream and cut off at the request's size bound, reported after
// fetch() returned (paper §5.1.1: the server downloads for the phone).
import { concatBytes } from "../../core/bytes.ts";
import { ErrorCodes, fail, ok } from "../../core/errors.ts";
import type { Fetcher, FetchRequest, FetchResult } from "../../services/api.ts";

export interface HttpFetcherOptions {
  report(fetchId: string, result: FetchResult): void;
  timeoutMs?: number;
}

export class HttpFetcher implements Fetcher {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: HttpFetcherOptions) {}

  fetch(request: FetchRequest): void {
    const task = this.get(request).then((result) => this.options.report(request.fetchId, result));
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async get(request: FetchRequest): Promise<FetchResult> {
    await Promise.resolve(); // report strictly after fetch() returned
    try {
      const response = await fetch(request.url, {
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
      });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        return fail(ErrorCodes.UNAVAILABLE, `Cannot fetch ${request.url}: HTTP ${response.status}`);
      }
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += chunk.length;
        if (size > request.bytesMax) {
          await response.body.cancel().catch(() => {});
          return fail(
            ErrorCodes.PAYLOAD_TOO_LARGE,
            `Cannot fetch ${request.url}: larger than ${request.bytesMax} bytes`,
          );
        }
        parts.push(chunk);
      }
      return ok({ payload: concatBytes(parts) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return fail(ErrorCodes.UNAVAILABLE, `Cannot fetch ${request.url}: ${reason}`);
    }
  }
}
