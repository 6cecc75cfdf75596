// A loopback web server for bulk downloads (tests, demos): serves published
// byte arrays at GET /<name> and counts requests. Listens on 127.0.0.1 only.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestWebServer {
  readonly baseUrl: string;
  /** Publishes bytes at /<name> and returns their URL. */
  publish(name: string, payload: Uint8Array): string;
  requests(): number;
  close(): Promise<void>;
}

export async function startTestWebServer(): Promise<TestWebServer> {
  const files = new Map<string, Uint8Array>();
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    const payload = request.method === "GET" ? files.get(request.url ?? "") : undefined;
    if (payload === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": payload.length });
    response.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    publish: (name, payload) => {
      files.set(`/${encodeURIComponent(name)}`, payload);
      return `${baseUrl}/${encodeURIComponent(name)}`;
    },
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
