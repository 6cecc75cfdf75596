// A fixed prefix code for key presses (the bulk of a typing workload, paper
// §5.1): canonical Huffman over English letter frequencies plus space and
// backspace, with an escape for every other code. ~4.3 bits per typed
// character instead of ~7 for a flat code. Fixed, so it costs no header.
// Changing the table changes the wire format (bump PROTOCOL_VERSION).
import { assert } from "../core/assert.ts";
import type { BitReader, BitWriter } from "./bits.ts";

/** Relative frequencies (per mille of letters; space and backspace estimated for chat typing). */
const weights: readonly [number, number][] = [
  [32, 200], // space
  [101, 127],
  [116, 91],
  [97, 82],
  [111, 75],
  [105, 70],
  [110, 67],
  [115, 63],
  [104, 61],
  [114, 60],
  [100, 43],
  [108, 40],
  [99, 28],
  [117, 28],
  [109, 24],
  [119, 24],
  [102, 22],
  [103, 20],
  [121, 20],
  [112, 19],
  [98, 15],
  [118, 10],
  [107, 8],
  [106, 2],
  [120, 2],
  [113, 1],
  [122, 1],
  [8, 30], // backspace
  [10, 6], // enter
  [46, 6], // .
  [44, 6], // ,
];
/** Symbol index of the escape (any other key code follows in truncated binary). */
const escapeWeight = 8;

interface Code {
  bits: number;
  length: number;
}

function codeLengths(freqs: readonly number[]): number[] {
  type Node = { weight: number; symbols: number[] };
  let nodes: Node[] = freqs.map((weight, i) => ({ weight, symbols: [i] }));
  const lengths = freqs.map(() => 0);
  while (nodes.length > 1) {
    // Deterministic: stable sort by weight, then by first symbol.
    nodes.sort((a, b) => a.weight - b.weight || a.symbols[0]! - b.symbols[0]!);
    const [a, b] = [nodes[0]!, nodes[1]!];
    for (const s of [...a.symbols, ...b.symbols]) lengths[s]!++;
    nodes = [
      { weight: a.weight + b.weight, symbols: [...a.symbols, ...b.symbols].sort((x, y) => x - y) },
      ...nodes.slice(2),
    ];
  }
  return lengths;
}

function canonical(lengths: readonly number[]): Code[] {
  const order = lengths
    .map((length, symbol) => ({ length, symbol }))
    .sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  const codes: Code[] = lengths.map(() => ({ bits: 0, length: 0 }));
  let code = 0;
  let previous = order[0]!.length;
  for (const { length, symbol } of order) {
    code <<= length - previous;
    previous = length;
    codes[symbol] = { bits: code, length };
    code++;
  }
  return codes;
}

const symbolCodes = canonical(codeLengths([...weights.map(([, w]) => w), escapeWeight]));
const escapeSymbol = weights.length;
const codeLengthMax = Math.max(...symbolCodes.map((c) => c.length));
// The decoder looks the next codeLengthMax bits up in one table, so keep it small.
assert(codeLengthMax <= 16, "key code table too deep");
const keyCodeEnd = Math.max(...weights.map(([key]) => key)) + 1;
/** Symbol per key code below keyCodeEnd (escape for the rest). */
const symbolOfKey = new Int32Array(keyCodeEnd).fill(escapeSymbol);
for (const [i, [key]] of weights.entries()) symbolOfKey[key] = i;
/** Key code per symbol (the decoder's flat table; weights is an array of pairs). */
const keyOfSymbol = Int32Array.from(weights, ([key]) => key);
/**
 * Every codeLengthMax-bit window starts with exactly one code (Huffman codes
 * are complete): entry = symbol * 32 + code length.
 */
const decodeTable = new Int32Array(2 ** codeLengthMax);
for (const [symbol, { bits, length }] of symbolCodes.entries()) {
  const spread = 2 ** (codeLengthMax - length);
  decodeTable.fill(symbol * 32 + length, bits * spread, (bits + 1) * spread);
}
assert(
  decodeTable.every((entry) => entry > 0),
  "key code is complete",
);

export function writeKey(w: BitWriter, code: number, keyRange: number): void {
  const symbol = code < keyCodeEnd ? symbolOfKey[code]! : escapeSymbol;
  const { bits, length } = symbolCodes[symbol]!;
  w.writeBits(bits, length);
  if (symbol === escapeSymbol) w.writeTruncated(code, keyRange);
}

export function readKey(r: BitReader, keyRange: number): number {
  const entry = decodeTable[r.peek32() >>> (32 - codeLengthMax)]!;
  const symbol = entry >>> 5;
  r.skip(entry & 31);
  if (symbol !== escapeSymbol) return keyOfSymbol[symbol]!;
  return r.readTruncated(keyRange);
}

/** readKey without resolving the code (the intake validator): the same bits and errors. */
export function skipKey(r: BitReader, keyRange: number): void {
  const entry = decodeTable[r.peek32() >>> (32 - codeLengthMax)]!;
  r.skip(entry & 31);
  if (entry >>> 5 === escapeSymbol) r.readTruncated(keyRange);
}
