// Generated corpora for the antivirus differential tests and bench (issue 8):
// random body signatures in every wildcard/gap/offset form, files with
// planted instances and near-miss decoys, hash signatures with exact and `*`
// sizes, and APK-like ZIPs (stored and deflate, nested). Seeded, so a failing
// seed reproduces.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { assert } from "../src/core/assert.ts";
import { toHex } from "../src/core/bytes.ts";
import type { Rng } from "../src/core/ports.ts";

type Piece =
  | { kind: "fixed"; bytes: Uint8Array }
  | { kind: "any" }
  | { kind: "nibbleHigh"; value: number }
  | { kind: "nibbleLow"; value: number }
  | { kind: "alt"; options: Uint8Array[] }
  | { kind: "fixedGap"; length: number };

interface Gap {
  min: number;
  max: number;
  text: string;
}

type Offset =
  | { kind: "any" }
  | { kind: "absolute"; start: number; shift: number }
  | { kind: "eof"; back: number; shift: number };

export interface GeneratedSignature {
  name: string;
  parts: Piece[][];
  gaps: Gap[];
  offset: Offset;
  line: string;
}

const gapForms: ((rng: Rng) => Gap)[] = [
  () => ({ min: 0, max: Number.POSITIVE_INFINITY, text: "*" }),
  (rng) => {
    const min = rng.int(0, 6);
    const max = min + rng.int(1, 8);
    return { min, max, text: `{${min}-${max}}` };
  },
  (rng) => {
    const max = rng.int(1, 10);
    return { min: 0, max, text: `{-${max}}` };
  },
  (rng) => {
    const min = rng.int(1, 20);
    return { min, max: Number.POSITIVE_INFINITY, text: `{${min}-}` };
  },
];

function pieceHex(p: Piece): string {
  switch (p.kind) {
    case "fixed":
      return toHex(p.bytes);
    case "any":
      return "??";
    case "nibbleHigh":
      return `${p.value.toString(16)}?`;
    case "nibbleLow":
      return `?${p.value.toString(16)}`;
    case "alt":
      return `(${p.options.map(toHex).join("|")})`;
    case "fixedGap":
      return `{${p.length}}`;
  }
}

function randomPart(rng: Rng, form: number): Piece[] {
  const pieces: Piece[] = [{ kind: "fixed", bytes: rng.bytes(rng.int(form === 7 ? 2 : 4, 7)) }];
  const extras = rng.int(0, 3);
  for (let i = 0; i < extras; i++) {
    const pick = rng.int(0, 4);
    if (pick === 0) pieces.push({ kind: "any" });
    else if (pick === 1)
      pieces.push({ kind: rng.int(0, 1) === 0 ? "nibbleHigh" : "nibbleLow", value: rng.int(0, 15) });
    else if (pick === 2) {
      const length = rng.int(1, 2);
      pieces.push({
        kind: "alt",
        options: [rng.bytes(length), rng.bytes(length), rng.bytes(length)].slice(0, rng.int(2, 3)),
      });
    } else if (pick === 3) pieces.push({ kind: "fixedGap", length: rng.int(1, 5) });
    pieces.push({ kind: "fixed", bytes: rng.bytes(rng.int(2, 5)) });
  }
  if (form === 6 && rng.int(0, 1) === 0) pieces.unshift({ kind: "any" });
  return pieces;
}

function randomOffset(rng: Rng): { offset: Offset; text: string } {
  const pick = rng.int(0, 5);
  if (pick <= 1) return { offset: { kind: "any" }, text: "*" };
  if (pick === 2) {
    const start = rng.int(0, 200);
    return { offset: { kind: "absolute", start, shift: 0 }, text: `${start}` };
  }
  if (pick === 3) {
    const start = rng.int(0, 100);
    const shift = rng.int(1, 60);
    return { offset: { kind: "absolute", start, shift }, text: `${start},${shift}` };
  }
  const back = rng.int(40, 300);
  const shift = pick === 5 ? rng.int(1, 20) : 0;
  return { offset: { kind: "eof", back, shift }, text: shift === 0 ? `EOF-${back}` : `EOF-${back},${shift}` };
}

export function generateSignature(rng: Rng, index: number): GeneratedSignature {
  const form = index % 8;
  const partCount = form <= 2 ? 1 : rng.int(2, 3);
  const parts: Piece[][] = [];
  const gaps: Gap[] = [{ min: 0, max: 0, text: "" }];
  for (let p = 0; p < partCount; p++) {
    parts.push(randomPart(rng, form));
    if (p + 1 < partCount) gaps.push(gapForms[rng.int(0, gapForms.length - 1)]!(rng));
  }
  const { offset, text } =
    form === 0 || form === 4 ? randomOffset(rng) : { offset: { kind: "any" } as Offset, text: "*" };
  const hex = parts.map((part, p) => (p === 0 ? "" : gaps[p]!.text) + part.map(pieceHex).join("")).join("");
  const name = `Gen.Body${form}.S${index}`;
  return { name, parts, gaps, offset, line: `${name}:0:${text}:${hex}` };
}

export function partLength(part: Piece[]): number {
  let n = 0;
  for (const p of part)
    n +=
      p.kind === "fixed"
        ? p.bytes.length
        : p.kind === "alt"
          ? p.options[0]!.length
          : p.kind === "fixedGap"
            ? p.length
            : 1;
  return n;
}

function instantiatePart(rng: Rng, part: Piece[], corrupt: boolean): number[] {
  const out: number[] = [];
  for (const p of part) {
    if (p.kind === "fixed") out.push(...p.bytes);
    else if (p.kind === "any") out.push(rng.int(0, 255));
    else if (p.kind === "nibbleHigh") out.push((p.value << 4) | rng.int(0, 15));
    else if (p.kind === "nibbleLow") out.push((rng.int(0, 15) << 4) | p.value);
    else if (p.kind === "alt") out.push(...p.options[rng.int(0, p.options.length - 1)]!);
    else for (let i = 0; i < p.length; i++) out.push(rng.int(0, 255));
  }
  if (corrupt) {
    const fixedAt: number[] = [];
    let at = 0;
    for (const p of part) {
      if (p.kind === "fixed") for (let i = 0; i < p.bytes.length; i++) fixedAt.push(at + i);
      at += partLength([p]);
    }
    const k = fixedAt[rng.int(0, fixedAt.length - 1)]!;
    out[k] = (out[k]! + 1 + rng.int(0, 254)) & 255;
  }
  return out;
}

export type Plant = "match" | "flip" | "gap" | "offset";

/** Bytes of one instance (or a decoy) and where it must start; undefined if the decoy form does not apply. */
export function instantiate(
  rng: Rng,
  sig: GeneratedSignature,
  fileLength: number,
  plant: Plant,
): { bytes: number[]; start: number } | undefined {
  const flipPart = plant === "flip" ? rng.int(0, sig.parts.length - 1) : -1;
  const badGap = plant === "gap" ? rng.int(1, Math.max(1, sig.parts.length - 1)) : -1;
  if (
    plant === "gap" &&
    (sig.parts.length < 2 ||
      (sig.gaps[badGap]!.min === 0 && sig.gaps[badGap]!.max === Number.POSITIVE_INFINITY))
  )
    return undefined;
  if (plant === "offset" && sig.offset.kind === "any") return undefined;
  const bytes: number[] = [];
  for (const [p, part] of sig.parts.entries()) {
    if (p > 0) {
      const gap = sig.gaps[p]!;
      let length = gap.min + rng.int(0, Math.min(gap.max - gap.min, rng.int(0, 3) === 0 ? 2000 : 12));
      if (p === badGap) length = Number.isFinite(gap.max) ? gap.max + 1 + rng.int(0, 2) : gap.min - 1;
      for (let i = 0; i < length; i++) bytes.push(rng.int(0, 255));
    }
    bytes.push(...instantiatePart(rng, part, p === flipPart));
  }
  const off = sig.offset;
  let start: number;
  if (off.kind === "any") start = rng.int(0, Math.max(0, fileLength - bytes.length));
  else if (off.kind === "absolute") start = off.start + rng.int(0, off.shift);
  else start = fileLength - off.back + rng.int(0, off.shift);
  if (plant === "offset") start += rng.int(0, 1) === 0 ? (off.kind === "any" ? 0 : off.shift + 1) : -1;
  if (start < 0 || start + bytes.length > fileLength) return undefined;
  return { bytes, start };
}

export interface Corpus {
  root: string;
  databases: string[];
  signatures: GeneratedSignature[];
  files: number;
}

function plantInto(rng: Rng, data: Uint8Array, sigs: GeneratedSignature[]): void {
  const plants = rng.int(0, 2);
  for (let i = 0; i < plants; i++) {
    const sig = sigs[rng.int(0, sigs.length - 1)]!;
    const kinds: Plant[] = ["match", "match", "flip", "gap", "offset"];
    const made = instantiate(rng, sig, data.length, kinds[rng.int(0, kinds.length - 1)]!);
    if (made !== undefined) data.set(made.bytes, made.start);
  }
}

function randomFile(rng: Rng, sigs: GeneratedSignature[], sizeMax: number): Uint8Array {
  const data = rng.bytes(rng.int(0, 9) === 0 ? rng.int(0, 64) : rng.int(64, sizeMax));
  if (data.length > 0) plantInto(rng, data, sigs);
  return data;
}

type Samples = { name: string; data: Uint8Array }[];

function apk(rng: Rng, sigs: GeneratedSignature[], depth: number, samples: Samples): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const nested = depth < 2 && rng.int(0, 5) === 0;
    const content = nested ? apk(rng, sigs, depth + 1, samples) : randomFile(rng, sigs, 6000);
    if (content.length > 0 && rng.int(0, 5) === 0)
      samples.push({ name: `E${samples.length}`, data: content });
    entries[nested ? `lib/inner${i}.zip` : `res/file${i}.bin`] = [
      content,
      { level: rng.int(0, 1) === 0 ? 0 : 6 },
    ];
  }
  return zipSync(entries);
}

function hashLines(
  rng: Rng,
  samples: { name: string; data: Uint8Array }[],
): { hdb: string[]; hsb: string[] } {
  const hdb: string[] = [];
  const hsb: string[] = [];
  for (const [i, s] of samples.entries()) {
    const md5 = createHash("md5").update(s.data).digest("hex");
    const sha1 = createHash("sha1").update(s.data).digest("hex");
    const sha256 = createHash("sha256").update(s.data).digest("hex");
    const pick = i % 5;
    if (pick === 0) hdb.push(`${md5}:${s.data.length}:Gen.HashMd5.${s.name}`);
    if (pick === 1) hsb.push(`${sha1}:${s.data.length}:Gen.HashSha1.${s.name}`);
    if (pick === 2) hsb.push(`${sha256}:*:Gen.HashSha256Any.${s.name}:73`);
    if (pick === 3) hdb.push(`${md5}:${s.data.length + 1}:Gen.HashWrongSize.${s.name}`);
    if (pick === 4) hdb.push(`${md5}:*:Gen.HashMd5Any.${s.name}:73`);
    if (rng.int(0, 3) === 0) hsb.push(`${sha256}:${s.data.length}:Gen.HashSha256.${s.name}`);
  }
  return { hdb, hsb };
}

/** Writes a corpus under root: signatures in 3 databases, plain files, APKs. */
export function writeCorpus(
  rng: Rng,
  root: string,
  options: { signatures: number; files: number; apks: number; large?: number },
): Corpus {
  assert(options.signatures > 0 && options.files > 0, "a corpus needs signatures and files");
  mkdirSync(join(root, "files", "sub"), { recursive: true });
  const sigs = Array.from({ length: options.signatures }, (_, i) => generateSignature(rng, i));
  const hashSamples: { name: string; data: Uint8Array }[] = [];
  for (let i = 0; i < options.files; i++) {
    const data = randomFile(rng, sigs, 20_000);
    writeFileSync(join(root, "files", i % 3 === 0 ? "sub" : "", `f${i}.bin`), data);
    if (data.length > 0 && rng.int(0, 3) === 0) hashSamples.push({ name: `F${i}`, data });
  }
  for (let i = 0; i < options.apks; i++) {
    const data = apk(rng, sigs, 0, hashSamples);
    writeFileSync(join(root, "files", `app${i}.apk`), data);
    if (rng.int(0, 3) === 0) hashSamples.push({ name: `A${i}`, data });
  }
  for (let i = 0; i < (options.large ?? 0); i++) {
    // Several matches far apart: which one clamscan names depends on its 128 KiB buffers.
    const data = rng.bytes(rng.int(150_000, 700_000));
    for (let k = 0; k < 3; k++) {
      const made = instantiate(rng, sigs[rng.int(0, sigs.length - 1)]!, data.length, "match");
      if (made !== undefined) data.set(made.bytes, made.start);
    }
    writeFileSync(join(root, "files", `large${i}.bin`), data);
  }
  const { hdb, hsb } = hashLines(rng, hashSamples);
  const databases = [join(root, "gen.ndb"), join(root, "gen.hdb"), join(root, "gen.hsb")];
  writeFileSync(databases[0]!, `${sigs.map((s) => s.line).join("\n")}\n`);
  writeFileSync(databases[1]!, `${hdb.join("\n")}\n`);
  writeFileSync(databases[2]!, `${hsb.join("\n")}\n`);
  return { root, databases, signatures: sigs, files: options.files + options.apks + (options.large ?? 0) };
}
