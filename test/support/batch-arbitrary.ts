// Random batches for the codec's property tests: each test draws its own
// events (bodies, nondet records, gaps), this lays them out as the
// Syn-Client would — contiguous seqs, time and networkConsumed never
// decreasing, a window that ends after its last input.
import fc from "fast-check";
import type { AppName, NondetRecord, UserInput, UserInputBody } from "../../src/platform/inputs.ts";
import type { BatchData } from "../../src/sync/batch.ts";

/** One drawn input: its gap after the previous one and how many network inputs arrived in between. */
export interface DrawnEvent {
  gapMs: number;
  consumedGap: number;
  app: AppName;
  body: UserInputBody;
  nondet: NondetRecord[];
}

export function batchArbitrary(
  event: fc.Arbitrary<DrawnEvent>,
  bounds: { consumedStartMax: number; eventsMax: number },
): fc.Arbitrary<BatchData> {
  return fc
    .record({
      batchNo: fc.integer({ min: 1, max: 1_000_000 }),
      firstSeq: fc.integer({ min: 1, max: 2 ** 40 }),
      windowStartMs: fc.nat({ max: 2 ** 42 }),
      consumedStart: fc.nat({ max: bounds.consumedStartMax }),
      trailing: fc.nat({ max: 3 }),
      tailMs: fc.integer({ min: 1, max: 100_000 }),
      events: fc.array(event, { maxLength: bounds.eventsMax }),
      digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      powerOff: fc.boolean(),
    })
    .map((r) => {
      let timeMs = r.windowStartMs;
      let consumed = r.consumedStart;
      const inputs: UserInput[] = r.events.map((e, i) => {
        timeMs += e.gapMs;
        consumed += e.consumedGap;
        return {
          seq: r.firstSeq + i,
          timeMs,
          networkConsumed: consumed,
          app: e.app,
          body: e.body,
          nondet: e.nondet,
        };
      });
      return {
        deviceId: "phone-1",
        batchNo: r.batchNo,
        firstSeq: r.firstSeq,
        windowStartMs: r.windowStartMs,
        windowEndMs: timeMs + r.tailMs,
        inputs,
        networkConsumed: consumed + r.trailing,
        storageDigest: r.digest,
        powerOff: r.powerOff,
      };
    });
}
