// A phone driven by a seeded workload, and a byte-for-byte comparison of two
// storages: what the platform tests, `mirrorcell demo` and the benchmark
// share.
import { bytesEqual, toHex } from "../core/bytes.ts";
import type { Sha256 } from "../core/ports.ts";
import { SeededRng } from "../core/rng.ts";
import { type DriveResult, drivePhone, ManualClock } from "./drive.ts";
import type { LevelKey } from "./key-level.ts";
import { seededNondet } from "./nondet.ts";
import { Platform } from "./platform.ts";
import type { Storage } from "./storage.ts";
import { Workload } from "./workload.ts";

export interface PhoneRun {
  phone: Platform;
  clock: ManualClock;
  drive: DriveResult;
}

/** A phone of `model` driven by `events` workload events from `seed`. */
export function runPhoneWorkload(options: {
  seed: number;
  events: number;
  sha256: Sha256;
  /** The phone's directory level key: tests and `mirrorcell demo` pass publicLevelKey or a seeded one. */
  levelKey: LevelKey;
  model?: string;
  sizeScale?: number;
}): PhoneRun {
  const sizeScale = options.sizeScale ?? 0.001;
  const clock = new ManualClock();
  const rng = new SeededRng(options.seed);
  const phone = Platform.create({
    mode: "phone",
    deviceId: `phone-${options.seed}`,
    model: options.model ?? "mc-one",
    sha256: options.sha256,
    levelKey: options.levelKey,
    nondet: seededNondet({
      rng: rng.fork("nondet"),
      clock,
      cameraBytes: Math.max(16, Math.round(1_500_000 * sizeScale)),
    }),
  });
  const workload = new Workload({ rng: rng.fork("workload"), sizeScale });
  const drive = drivePhone(phone, workload.take(options.events), clock);
  return { phone, clock, drive };
}

/** Undefined when both storages hold the same files with the same bytes and the same empty directories. */
export function treeDifference(a: Storage, b: Storage): string | undefined {
  const left = a.manifest();
  const right = b.manifest();
  if (left.length !== right.length) return `file counts ${left.length} vs ${right.length}`;
  for (let i = 0; i < left.length; i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x.path !== y.path) return `path ${x.path} vs ${y.path}`;
    const bx = a.readFile(x.path);
    const by = b.readFile(y.path);
    if (!bx.ok || !by.ok || !bytesEqual(bx.value, by.value)) return `content of ${x.path}`;
  }
  if (a.emptyDirs().join("\n") !== b.emptyDirs().join("\n")) return "empty directories";
  if (toHex(a.digest()) !== toHex(b.digest())) return "digests differ over equal trees";
  return undefined;
}
