import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { test } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { directFrameBytesMax, writeBinaryFrame, wsBinaryFrame } from "./ws-frame.ts";

const payloadOf = (length: number, fill: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + fill) & 0xff);

test("live: ws frame: binary frame headers by length (RFC 6455: 7-bit, then 16-bit length), payload after them", () => {
  const short = wsBinaryFrame(payloadOf(125, 1));
  assert.deepEqual([...short.subarray(0, 2)], [0x82, 125]);
  assert.deepEqual(short.subarray(2), Buffer.from(payloadOf(125, 1)));
  const medium = wsBinaryFrame(payloadOf(126, 2));
  assert.deepEqual([...medium.subarray(0, 4)], [0x82, 126, 0, 126]);
  assert.equal(medium.length, 4 + 126);
  assert.deepEqual([...wsBinaryFrame(new Uint8Array(0))], [0x82, 0]);
  const largest = wsBinaryFrame(payloadOf(directFrameBytesMax, 3));
  assert.deepEqual([...largest.subarray(0, 4)], [0x82, 126, 0xff, 0xff]);
  assert.throws(() => wsBinaryFrame(new Uint8Array(directFrameBytesMax + 1)), /a direct frame is small/);
});

test("live: ws frame: frames written to the upgraded socket reach a ws client byte-identical and in order with ws.send's", async () => {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
    http.on("upgrade", (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => resolve({ ws, socket })),
    ),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  const got: Uint8Array[] = [];
  const lengths = [0, 1, 125, 126, 1_000, directFrameBytesMax, directFrameBytesMax + 10, 3];
  const all = new Promise<void>((resolve) =>
    client.on("message", (data: Buffer) => {
      got.push(new Uint8Array(data));
      if (got.length === lengths.length) resolve();
    }),
  );
  try {
    const { ws, socket } = await accepted;
    // Alternate the two paths; the largest goes through ws.send, as the endpoint does.
    lengths.forEach((length, i) => {
      const payload = payloadOf(length, i);
      if (length > directFrameBytesMax || i % 2 === 1) ws.send(payload);
      else writeBinaryFrame(socket, payload);
    });
    await all;
    assert.deepEqual(
      got,
      lengths.map((length, i) => payloadOf(length, i)),
    );
  } finally {
    client.terminate();
    wss.close();
    http.close();
  }
});
