import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { utf8 } from "../src/core/bytes.ts";
import { ok } from "../src/core/errors.ts";
import { ContentOrigin } from "../src/live/content-origin.ts";
import { fetchThroughProxy, redeliverThroughProxy } from "../src/live/proxy-client.ts";
import { createTrafficProxy } from "../src/live/traffic-proxy.ts";
import type { NetworkInput } from "../src/platform/inputs.ts";

const keyHex = "ab".repeat(32);

test("live: proxy: a phone's download is recorded with the next index, delivered, and redeliverable", async () => {
  const log: NetworkInput[] = [];
  const proxy = createTrafficProxy({
    clock: { nowMs: () => 1234 },
    authenticate: (id, key) => id === "phone-1" && key === keyHex,
    record: (_id, input) => {
      const recorded = { ...input, index: log.length + 1 };
      log.push(recorded);
      return ok(recorded);
    },
    recorded: (_id, index) => log[index - 1],
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
  const origin = new ContentOrigin();
  await origin.start();
  try {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const opts = { proxyUrl, deviceId: "phone-1", keyHex };
    const label = { app: "browser" as const, kind: "http-response", args: ["url", "http://example/"] };
    const first = await fetchThroughProxy(opts, origin.park(utf8("<html>one</html>")), label);
    const second = await fetchThroughProxy(opts, origin.park(utf8("two")), label);
    assert.ok(first.ok && second.ok);
    assert.equal(first.value.index, 1);
    assert.equal(second.value.index, 2);
    assert.deepEqual(first.value.payload, utf8("<html>one</html>"));
    assert.deepEqual(first.value.args, label.args);
    assert.equal(first.value.timeMs, 1234);
    const again = await redeliverThroughProxy(opts, 1);
    assert.ok(again.ok);
    assert.deepEqual(again.value.payload, utf8("<html>one</html>"));
    assert.equal((await redeliverThroughProxy(opts, 3)).ok, false);
    const wrongKey = await fetchThroughProxy(
      { ...opts, keyHex: "cd".repeat(32) },
      origin.park(utf8("x")),
      label,
    );
    assert.equal(wrongKey.ok, false);
    assert.match(!wrongKey.ok ? wrongKey.error.message : "", /407/);
    const offLoopback = await fetchThroughProxy(opts, "http://10.1.2.3/", label);
    assert.match(!offLoopback.ok ? offLoopback.error.message : "", /403/);
    assert.equal(log.length, 2);
  } finally {
    proxy.closeAllConnections();
    proxy.close();
    await origin.close();
  }
});
