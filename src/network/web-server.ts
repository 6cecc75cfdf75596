// An Internet web server for the browsing flows (Fig 8–9): answers HTTP/1.1
// GETs from a fixed set of pages, 404 otherwise.

import { utf8 } from "../core/bytes.ts";
import type { MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { type HttpResponse, httpLabel, serializeHttp } from "./http-message.ts";
import { parseHttp } from "./http-parser.ts";
import { valueOrRecord } from "./peer-errors.ts";

export interface WebPage {
  readonly contentType: string;
  readonly body: Uint8Array;
}

export class WebServer implements NetworkNode {
  readonly role = "internet" as const;
  readonly errors: MirrorcellError[] = [];

  constructor(
    readonly id: NodeId,
    private readonly pages: ReadonlyMap<string, WebPage>,
  ) {}

  onPacket(packet: Packet, from: NodeId, context: NodeContext): void {
    const request = valueOrRecord(parseHttp(packet.bytes), this.errors);
    if (request === undefined) return;
    if (request.kind !== "request") return;
    const page = request.method === "GET" ? this.pages.get(request.target) : undefined;
    const response: HttpResponse = page
      ? {
          kind: "response",
          status: 200,
          reason: "OK",
          headers: [{ name: "Content-Type", value: page.contentType }],
          body: page.body,
        }
      : {
          kind: "response",
          status: 404,
          reason: "Not Found",
          headers: [{ name: "Content-Type", value: "text/plain" }],
          body: utf8("not found\n"),
        };
    const out: HttpResponse = {
      ...response,
      headers: [{ name: "Server", value: this.id }, ...response.headers],
    };
    context.send(from, {
      src: this.id,
      dst: packet.src,
      protocol: "http",
      bytes: serializeHttp(out),
      label: httpLabel(out),
    });
  }
}
