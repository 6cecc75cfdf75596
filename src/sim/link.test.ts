import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../core/rng.ts";
import { Link } from "./link.ts";

test("sim: link: 3G uplink serializes 708 kbps and keeps FIFO order", () => {
  const link = new Link(708, 100, new SeededRng(1));
  assert.equal(link.transmitMs(88_500), 1000);
  let last = 0;
  for (let i = 0; i < 100; i++) {
    assert.equal(link.send(i, 1000), 1);
    const arrival = link.arrivalsMs[0]!;
    assert.ok(arrival >= last, "FIFO");
    assert.ok(arrival >= i + link.transmitMs(1000));
    last = arrival;
  }
  // 100 KB back to back at 708 kbps take at least 1.13 s
  assert.ok(last >= 1130, `last arrival ${last}`);
});

test("sim: link: latency stays within t_max for an idle link", () => {
  const link = new Link(1259, 100, new SeededRng(2));
  for (let i = 0; i < 1000; i++) {
    link.send(i * 1000, 10);
    const delay = link.arrivalsMs[0]! - i * 1000;
    assert.ok(delay >= 1 && delay <= 101, `delay ${delay}`);
  }
});

test("sim: link: faults lose, duplicate and reorder messages at their rates (seed=3)", () => {
  const link = new Link(708, 100, new SeededRng(3));
  link.faults = {
    lossProbability: 0.1,
    duplicateProbability: 0.1,
    reorderProbability: 0.1,
    reorderDelayMsMax: 5000,
  };
  let delivered = 0;
  for (let i = 0; i < 10_000; i++) delivered += link.send(i * 10, 20);
  assert.ok(link.stats.lost > 800 && link.stats.lost < 1200, `lost ${link.stats.lost}`);
  assert.ok(link.stats.duplicated > 700 && link.stats.duplicated < 1100);
  assert.ok(link.stats.reordered > 700 && link.stats.reordered < 1100);
  assert.equal(delivered, 10_000 - link.stats.lost + link.stats.duplicated);
});

test("sim: link: a partition drops messages until it heals", () => {
  const link = new Link(708, 100, new SeededRng(4));
  link.partition(5_000);
  assert.equal(link.send(1_000, 10), 0);
  assert.equal(link.stats.droppedByPartition, 1);
  assert.equal(link.send(5_000, 10), 1);
});
