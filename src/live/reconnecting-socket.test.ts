import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { Socket } from "node:net";
import { test } from "node:test";
import { WebSocketServer } from "ws";
import { ReconnectingSocket } from "./reconnecting-socket.ts";

/** A loopback ws server that keeps every message it receives. */
async function listen(): Promise<{ url: string; received: Uint8Array[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const received: Uint8Array[] = [];
  wss.on("connection", (ws) => ws.on("message", (data: Buffer) => received.push(new Uint8Array(data))));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(done(), "condition not reached within 5 s");
}

/** Counts the writes net.Socket hands to libuv while `fn` runs (one per frame without a cork). */
function countSocketWrites(fn: () => void): number {
  const proto = Socket.prototype as unknown as Record<"_write" | "_writev", (...args: unknown[]) => unknown>;
  const original = { write: proto._write, writev: proto._writev };
  let writes = 0;
  proto._write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return original.write.apply(this, args);
  };
  proto._writev = function (this: unknown, ...args: unknown[]) {
    writes++;
    return original.writev.apply(this, args);
  };
  try {
    fn();
  } finally {
    proto._write = original.write;
    proto._writev = original.writev;
  }
  return writes;
}

test("reconnecting socket: sendMany sends a burst in order, in one write to the TCP socket", async () => {
  const server = await listen();
  let opened = false;
  const socket = new ReconnectingSocket({
    url: server.url,
    onOpen: () => (opened = true),
    onFrame: () => {},
  });
  try {
    assert.equal(socket.sendMany([new Uint8Array([1])]), 0, "nothing is sent before the socket is open");
    socket.start();
    await until(() => opened);
    const frames = Array.from({ length: 300 }, (_, i) => new Uint8Array(1000).fill(i % 251));
    let sent = 0;
    const writes = countSocketWrites(() => {
      sent = socket.sendMany(frames);
    });
    assert.equal(sent, frames.length);
    assert.ok(writes <= 2, `a corked burst of ${frames.length} frames took ${writes} socket writes`);
    await until(() => server.received.length === frames.length);
    for (const [i, bytes] of server.received.entries()) assert.deepEqual(bytes, frames[i], `frame ${i}`);
  } finally {
    await socket.close();
    await server.close();
  }
});
