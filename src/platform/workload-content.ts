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

/** Bytes a word takes in the scratch: the word, its space, zero padding. */
const wordSlotBytes = 12;
// Each word as it is written, "word " padded to 12 bytes, in three
// little-endian 32-bit parts: a sentence is written a whole slot per word
// (three DataView stores) with no loop over the word's letters, whose length
// changes from word to word (a byte loop per word cost ~5 ns a letter, 2 ns as slots).
const wordLo = new Uint32Array(words.length);
const wordMid = new Uint32Array(words.length);
const wordHi = new Uint32Array(words.length);
const wordLengths = new Uint8Array(words.length);
for (const [i, word] of words.entries()) {
  const bytes = utf8(word);
  assert(
    bytes.length === word.length && word.length < wordSlotBytes,
    `workload words are short ASCII: ${word}`,
  );
  const slot = new Uint8Array(wordSlotBytes);
  slot.set(bytes);
  slot[word.length] = 0x20;
  const view = new DataView(slot.buffer);
  wordLo[i] = view.getUint32(0, true);
  wordMid[i] = view.getUint32(4, true);
  wordHi[i] = view.getUint32(8, true);
  wordLengths[i] = word.length;
}

/** Where sentences are written before they are cut to length; grows to the longest asked for. */
let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

/**
 * Draws a sentence of `target` characters into scratch[0, target): words
 * drawn one rng.float() each, separated by spaces, the last cut at `target`
 * (the draws of the text-building version: words until the text is at least
 * `target` long). Past `target` the scratch holds leftovers.
 */
function drawSentence(rng: Rng, target: number): Uint8Array {
  if (target + wordSlotBytes > scratch.length) {
    scratch = new Uint8Array(target + wordSlotBytes);
    scratchView = new DataView(scratch.buffer);
  }
  const view = scratchView;
  const wordCount = wordLengths.length;
  let end = 0;
  for (let at = 0; end < target; at = end + 1) {
    // rng.int(0, words.length - 1) without its range checks: the same draw, per word of every body.
    const word = Math.floor(rng.float() * wordCount);
    view.setUint32(at, wordLo[word]!, true);
    view.setUint32(at + 4, wordMid[word]!, true);
    view.setUint32(at + 8, wordHi[word]!, true);
    end = at + wordLengths[word]!;
  }
  assert(end >= target && target + wordSlotBytes <= scratch.length, "drawSentence: length");
  return scratch;
}

export function sentence(rng: Rng, charsMin: number, charsMax: number): string {
  const target = rng.int(charsMin, charsMax);
  const text = drawSentence(rng, target).subarray(0, target);
  // ASCII: one code unit per byte (apply takes the array as it is; a spread would iterate it)
  return String.fromCharCode.apply(null, text as unknown as number[]);
}

/** utf8(sentence(rng, min, max)) with the same draws (the words are ASCII): message bodies are drawn for every delivery. */
export function sentenceBytes(rng: Rng, charsMin: number, charsMax: number): Uint8Array {
  const target = rng.int(charsMin, charsMax);
  const text = drawSentence(rng, target);
  const out = slabBytes(target);
  out.set(text.subarray(0, target));
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
