// Deterministic content for the flows, shaped like the real thing: a JPEG
// (SOI/APP0 … EOI markers around seeded bytes) for MMS, an HTML page with a
// title for the web, and an RFC 5322 message for email (with a line starting
// with "." so POP3 dot-stuffing is exercised on every run).
import { assert } from "../core/assert.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import type { Rng } from "../core/ports.ts";
import type { FlowName } from "./flows.ts";

export interface FlowContent {
  path: string;
  contentType: string;
  data: Uint8Array;
}

const words = ["mirror", "phone", "sync", "network", "input", "replay", "storage", "server", "radio", "core"];

function text(rng: Rng, bytes: number, lineBytes: number): string {
  let out = "";
  let line = "";
  while (out.length + line.length < bytes) {
    line += `${words[rng.int(0, words.length - 1)]} `;
    if (line.length >= lineBytes) {
      out += `${line.trimEnd()}\r\n`;
      line = "";
    }
  }
  return out + (line === "" ? "" : `${line.trimEnd()}\r\n`);
}

export function flowContent(flow: FlowName, rng: Rng, bytes: number): FlowContent {
  assert(Number.isSafeInteger(bytes) && bytes >= 64, `content size ${bytes} too small`);
  if (flow === "mms") {
    const body = rng.bytes(bytes - 6);
    return {
      path: "",
      contentType: "image/jpeg",
      data: concatBytes([new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), body, new Uint8Array([0xff, 0xd9])]),
    };
  }
  if (flow === "web") {
    const head = "<!doctype html>\n<html><head><title>Mirror news</title></head><body>\n<p>";
    const tail = "</p>\n</body></html>\n";
    const body = text(rng, Math.max(0, bytes - head.length - tail.length), 72).replaceAll("\r\n", "\n");
    return { path: "/index.html", contentType: "text/html; charset=utf-8", data: utf8(head + body + tail) };
  }
  const headers = [
    "From: carol@mail.example",
    "To: alice@ims.example",
    "Subject: Trip photos",
    "Message-ID: <trip-1@mail.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hi Alice,",
    ".this line starts with a dot",
  ].join("\r\n");
  const body = text(rng, Math.max(0, bytes - headers.length - 2), 72);
  return { path: "", contentType: "message/rfc822", data: utf8(`${headers}\r\n${body}`) };
}
