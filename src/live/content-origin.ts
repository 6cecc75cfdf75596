// A loopback HTTP origin standing in for "the internet" of a live phone or a
// load test: it serves the payloads the workload generator produced for
// network deliveries (SMS, email, MMS, pages, packages), so they travel
// origin -> Traffic Monitor proxy (records) -> phone, as in paper Fig 9, and
// the phone never uploads them.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { assert } from "../core/assert.ts";

/** Payloads parked but not yet fetched; bounded so a stuck phone cannot grow it. */
export const originParkedMax = 100_000;

export class ContentOrigin {
  private readonly parked = new Map<string, Uint8Array>();
  private server: Server | undefined;
  private counter = 0;
  baseUrl = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const body = this.parked.get(req.url ?? "");
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      this.parked.delete(req.url ?? "");
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Parks a payload and returns the URL that serves it once. */
  park(payload: Uint8Array): string {
    assert(this.server !== undefined, "origin not started");
    assert(this.parked.size < originParkedMax, "origin has too many unfetched payloads");
    this.counter += 1;
    const path = `/content/${this.counter}`;
    this.parked.set(path, payload);
    return `${this.baseUrl}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
