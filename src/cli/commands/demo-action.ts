// The action of `mirrorcell demo` (options in demo.ts, loaded when the
// command runs): the paper's core claim in one run (§3.3.1) — a phone and
// its mirror fed the same inputs (user inputs with recorded nondeterminism,
// network inputs in the phone's interleaving) end with the same storage.
// `--misorder` replays network inputs after the next user action, as a
// timestamp-ordered replay can, to show that the order matters.
import { toHex } from "../../core/bytes.ts";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { SeededRng } from "../../core/rng.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import { misorderLog, replayLog } from "../../platform/drive.ts";
import { LevelKey, levelSecretBytes } from "../../platform/key-level.ts";
import { runPhoneWorkload } from "../../platform/phone-run.ts";
import { Platform } from "../../platform/platform.ts";

export interface DemoOpts {
  seed: string;
  events: string;
  sizeScale: string;
  model: string;
  misorder?: boolean;
  json?: boolean;
}

function integerOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MirrorcellError(
      ErrorCodes.USAGE,
      `--${name} must be an integer in [${min}, ${max}], got ${text}`,
    );
  }
  return value;
}

export function runDemo(opts: DemoOpts) {
  const seed = integerOption("seed", opts.seed, 0, Number.MAX_SAFE_INTEGER);
  const events = integerOption("events", opts.events, 1, 10_000_000);
  const sizeScale = Number(opts.sizeScale);
  if (!(sizeScale > 0 && sizeScale <= 1))
    throw new MirrorcellError(ErrorCodes.USAGE, `--size-scale must be in (0, 1], got ${opts.sizeScale}`);
  // a secret device key drawn from the seed, shared by the phone and its mirror as in production
  const levelKey = LevelKey.fromSecret(new SeededRng(seed).fork("mst-level").bytes(levelSecretBytes));
  const startedMs = performance.now();
  const { phone, drive } = runPhoneWorkload({
    seed,
    events,
    sha256: nodeSha256,
    levelKey,
    model: opts.model,
    sizeScale,
  });
  const phoneMs = performance.now() - startedMs;
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: phone.deviceId,
    model: opts.model,
    sha256: nodeSha256,
    levelKey,
  });
  const log = opts.misorder ? misorderLog(drive.log) : drive.log;
  const replayed = replayLog(mirror, log);
  const mirrorMs = performance.now() - startedMs - phoneMs;
  const phoneDigest = toHex(phone.digest());
  const mirrorDigest = toHex(mirror.digest());
  const differing = phone.storage.diff(mirror.storage);
  return {
    seed,
    events,
    sizeScale,
    model: opts.model,
    misorder: Boolean(opts.misorder),
    userInputs: drive.log.filter((e) => e.kind === "user").length,
    networkInputs: drive.log.filter((e) => e.kind === "network").length,
    rejectedByPhone: drive.rejectedUser + drive.rejectedNetwork,
    replayError: replayed.ok ? null : `${replayed.error.code}: ${replayed.error.message}`,
    files: phone.storage.fileCount,
    storageBytes: phone.storage.bytesTotal,
    phoneDigest,
    mirrorDigest,
    differingPaths: differing.length,
    verdict: phoneDigest === mirrorDigest ? "EQUAL" : "DIVERGED",
    phoneMs: Math.round(phoneMs),
    mirrorMs: Math.round(mirrorMs),
  };
}

/** The action of `mirrorcell demo` (registered in demo.ts): runs and prints; exit code 1 on an unexpected DIVERGED. */
export function printDemo(opts: DemoOpts): void {
  const result = runDemo(opts);
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      `seed ${result.seed}: ${result.userInputs} user + ${result.networkInputs} network inputs, ` +
        `${result.files} files (${result.storageBytes} bytes) on ${result.model}\n` +
        `phone  ${result.phoneDigest}  (${result.phoneMs} ms)\n` +
        `mirror ${result.mirrorDigest}  (${result.mirrorMs} ms${result.misorder ? ", misordered replay" : ""})\n` +
        (result.replayError === null ? "" : `replay stopped: ${result.replayError}\n`) +
        `${result.verdict}${result.differingPaths > 0 ? ` (${result.differingPaths} paths differ)` : ""}\n`,
    );
  }
  if (result.verdict !== "EQUAL" && !result.misorder) process.exitCode = 1;
}
