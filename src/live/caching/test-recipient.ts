// A loopback recipient for bulk uploads (tests, demos): an HTTP server whose
// inboxes (POST /inbox/<address>) keep every file with the sender it claims
// (x-mirrorcell-from), once per delivery id (x-mirrorcell-delivery-id: the
// service re-sends after a server restart; receivers deduplicate). An address
// can be made unreachable (HTTP 503) to exercise the service's retries.
// Listens on 127.0.0.1 only.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { concatBytes } from "../../core/bytes.ts";
import { limits } from "../../core/limits.ts";

export interface ReceivedUpload {
  from: string;
  name: string;
  sha256Hex: string;
  payload: Uint8Array;
}

export interface TestRecipient {
  readonly baseUrl: string;
  urlOf(address: string): string;
  inbox(address: string): readonly ReceivedUpload[];
  setReachable(address: string, reachable: boolean): void;
  /** POSTs refused while unreachable, per address. */
  refused(address: string): number;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage, bytesMax: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Uint8Array).length;
    if (size > bytesMax) return undefined;
    parts.push(chunk as Uint8Array);
  }
  return concatBytes(parts);
}

function header(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return typeof value === "string" ? value : "";
}

export async function startTestRecipient(): Promise<TestRecipient> {
  const inboxes = new Map<string, ReceivedUpload[]>();
  const unreachable = new Set<string>();
  const refusals = new Map<string, number>();
  const seen = new Set<string>();
  const server: Server = createServer((request, response) => {
    const match = /^\/inbox\/([^/?]+)$/.exec(request.url ?? "");
    if (request.method !== "POST" || match === null) {
      response.writeHead(404).end();
      return;
    }
    const address = decodeURIComponent(match[1]!);
    if (unreachable.has(address)) {
      refusals.set(address, (refusals.get(address) ?? 0) + 1);
      request.resume();
      response.writeHead(503).end();
      return;
    }
    void readBody(request, limits.fileBytesMax).then((payload) => {
      if (payload === undefined) {
        response.writeHead(413).end();
        return;
      }
      const deliveryId = header(request, "x-mirrorcell-delivery-id");
      if (deliveryId !== "" && seen.has(deliveryId)) {
        response.writeHead(204).end();
        return;
      }
      if (deliveryId !== "") seen.add(deliveryId);
      const upload = {
        from: header(request, "x-mirrorcell-from"),
        name: decodeURIComponent(header(request, "x-mirrorcell-name")),
        sha256Hex: header(request, "x-mirrorcell-sha256"),
        payload,
      };
      inboxes.set(address, [...(inboxes.get(address) ?? []), upload]);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    urlOf: (address) => `${baseUrl}/inbox/${encodeURIComponent(address)}`,
    inbox: (address) => inboxes.get(address) ?? [],
    setReachable: (address, reachable) => {
      if (reachable) unreachable.delete(address);
      else unreachable.add(address);
    },
    refused: (address) => refusals.get(address) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
