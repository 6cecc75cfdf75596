// Content for generated workloads: text that reads like messages, binary
// payloads of realistic sizes (scaled down for fleet simulation), and
// packages as real zip archives. Everything comes from the seeded Rng.
import { zipSync } from "fflate";
import { assert } from "../core/assert.ts";
import { slabBytes } from "../core/byte-slab.ts";
import { utf8 } from "../core/bytes.ts";
import type { Rng } from "../core/ports.ts";
import { randomBytes } from "./random-bytes.ts";

const words = (
  "the a to and of you i it in is that for on we are this can my have be at will with not but " +
  "meet lunch tomorrow call later home thanks ok sure great running late see soon when where what " +
  "photo meeting report draft please send file tonight weekend train bus coffee dinner news update"
).split(" ");

const wordBytes = words.map((w) => utf8(w));
const space = 0x20;

export function sentence(rng: Rng, charsMin: number, charsMax: number): string {
  const target = rng.int(charsMin, charsMax);
  let text = "";
  while (text.length < target) text += (text === "" ? "" : " ") + words[rng.int(0, words.length - 1)]!;
  return text.slice(0, target);
}

/**
 * utf8(sentence(rng, min, max)) with the same draws, written straight into
 * bytes (the words are ASCII): message bodies are drawn for every delivery.
 */
export function sentenceBytes(rng: Rng, charsMin: number, charsMax: number): Uint8Array {
  const target = rng.int(charsMin, charsMax);
  const out = slabBytes(target);
  let length = 0;
  while (length < target) {
    if (length > 0) out[length++] = space;
    // rng.int(0, words.length - 1) without its range checks: the same draw, per word of every body.
    const word = wordBytes[Math.floor(rng.float() * wordBytes.length)]!;
    // A word cut at the end is cut like slice(0, target) cuts the text; a
    // byte loop beats set() for words this short.
    const take = Math.min(word.length, target - length);
    for (let i = 0; i < take; i++) out[length + i] = word[i]!;
    length += word.length;
  }
  assert(length >= target && out.length === target, "sentenceBytes: length");
  return out;
}

/** A log-uniform size in [min, max], scaled and at least one byte. */
export function sizeBetween(rng: Rng, min: number, max: number, scale: number): number {
  assert(min >= 1 && min <= max && scale > 0, "sizeBetween: bad range");
  const size = Math.exp(Math.log(min) + rng.float() * (Math.log(max) - Math.log(min)));
  return Math.max(1, Math.round(size * scale));
}

const chunkBytes = 64 * 1024;

/**
 * Random-looking bytes. Large payloads repeat one random chunk with a fresh
 * random word per chunk: unique content at memcpy speed.
 */
export function binary(rng: Rng, size: number): Uint8Array {
  assert(Number.isSafeInteger(size) && size >= 0, "binary: bad size");
  if (size <= chunkBytes) return randomBytes(rng, size);
  const out = new Uint8Array(size);
  out.set(randomBytes(rng, chunkBytes), 0);
  for (let offset = chunkBytes; offset < size; offset += chunkBytes) {
    out.copyWithin(offset, 0, Math.min(chunkBytes, size - offset));
    out.set(rng.bytes(Math.min(8, size - offset)), offset);
  }
  return out;
}

/**
 * A package as a stored zip (the shape of an APK). The mtime is a local time
 * without a zone: fflate writes local date fields, so this gives the same
 * bytes in every time zone.
 */
export function packageArchive(rng: Rng, name: string, version: number, scale: number): Uint8Array {
  const entries: Record<string, Uint8Array> = {
    "AndroidManifest.xml": utf8(`<manifest package="${name}" versionCode="${version}"/>\n`),
    "classes.dex": binary(rng, sizeBetween(rng, 200_000, 3_000_000, scale)),
  };
  const resources = rng.int(3, 20);
  for (let i = 0; i < resources; i++)
    entries[`res/drawable/r${i}.png`] = binary(rng, sizeBetween(rng, 500, 50_000, scale));
  return zipSync(entries, { level: 0, mtime: "2020-01-01T12:00:00" });
}
