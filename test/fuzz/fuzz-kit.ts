/**
 * A small deterministic fuzzer for the parsers that read hostile input: a seeded PRNG, byte and text mutators,
 * and a runner that feeds N mutated inputs to a target and sorts each outcome into accepted, a typed error
 * (the exception the API documents), a crash (any other exception) or a hang (an input slower than the bound).
 *
 * No dependency on purpose: the targets are synchronous (or nearly so) functions of one byte string, and
 * structure-aware mutation (DER length fields, PEM armor, nginx braces and quotes) matters more here than
 * shrinking. Every input is a pure function of (base seed, index), so a failure names the two numbers that
 * replay it: `FUZZ_SEED=<seed> FUZZ_ONLY=<index> npx vitest run test/fuzz/<file>`.
 *
 * Deterministic by default (fixed seed, fixed count); FUZZ_ITERATIONS and FUZZ_SEED raise or change them
 * locally. Synchronous code cannot be pre-empted, so a true infinite loop still stalls the test until
 * vitest's timeout; the runner logs each input as it starts when FUZZ_TRACE is set (FUZZ_TRACE=full: the whole
 * input, as JSON), to find which one.
 */
import { performance } from 'node:perf_hooks';

/** mulberry32: 32-bit state, good enough spread for mutation choices, and trivially reproducible. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }

  /** Small counts are likelier: most mutations should stay close to a valid input to get past the first check. */
  small(max: number): number {
    return Math.min(max, 1 + Math.floor(-Math.log(1 - this.next() / 2 ** 32) * 1.5));
  }
}

/** The RNG of input `index` under `seed`: inputs are independent, so one can be replayed alone. */
export function rngFor(seed: number, index: number): Rng {
  const mixed = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  return new Rng(mixed);
}

// --- byte mutators -----------------------------------------------------------------------------------------------

/** Byte values that sit on boundaries of length and tag encodings. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x05, 0x1f, 0x20, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xa0, 0xa3, 0xfe, 0xff];

export type ByteMutator = (rng: Rng, input: Uint8Array) => Uint8Array;

/** A fresh copy. Not `b.slice()`: on a Node Buffer that is a view, and a mutation would change the seed itself. */
const copyOf = (b: Uint8Array, end = b.length): Uint8Array => new Uint8Array(b.subarray(0, end));

export const flipBit: ByteMutator = (rng, b) => {
  if (b.length === 0) return b;
  const out = copyOf(b);
  out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
};

export const setByte: ByteMutator = (rng, b) => {
  if (b.length === 0) return b;
  const out = copyOf(b);
  out[rng.int(out.length)] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256);
  return out;
};

export const insertBytes: ByteMutator = (rng, b) => {
  const at = rng.int(b.length + 1);
  const n = rng.small(16);
  const ins = Uint8Array.from({ length: n }, () => (rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256)));
  return concat(b.subarray(0, at), ins, b.subarray(at));
};

export const deleteBytes: ByteMutator = (rng, b) => {
  if (b.length === 0) return b;
  const at = rng.int(b.length);
  const n = Math.min(b.length - at, rng.small(32));
  return concat(b.subarray(0, at), b.subarray(at + n));
};

export const truncate: ByteMutator = (rng, b) => copyOf(b, rng.int(b.length + 1));

/** Repeats a slice in place: a cheap way to grow nesting, repeated elements and long fields. */
export const duplicateRange: ByteMutator = (rng, b) => {
  if (b.length === 0) return b;
  const at = rng.int(b.length);
  const n = Math.min(b.length - at, rng.small(64));
  const times = rng.small(8);
  const piece = b.subarray(at, at + n);
  return concat(b.subarray(0, at + n), ...Array<Uint8Array>(times).fill(piece), b.subarray(at + n));
};

/** Head of one input, tail of another: valid structure with foreign content at a random seam. */
export function splice(rng: Rng, a: Uint8Array, b: Uint8Array): Uint8Array {
  return concat(a.subarray(0, rng.int(a.length + 1)), b.subarray(rng.int(b.length + 1)));
}

/**
 * DER length tampering: finds the TLV headers of `der` (walking leniently into constructed elements and
 * into OCTET/BIT STRINGs that happen to hold DER, as extension values do) and rewrites one length: off by
 * one, zero, indefinite (0x80), long forms with too many octets or huge values, or non-minimal encodings.
 */
export const tamperDerLength: ByteMutator = (rng, der) => {
  const headers = tlvHeaders(der);
  if (headers.length === 0) return setByte(rng, der);
  const h = rng.pick(headers);
  const replacements: number[][] = [
    encodeLength(Math.max(0, h.length + rng.pick([-2, -1, 1, 2, 128, 65536]))),
    [0x00],
    [0x80],
    [0x84, 0xff, 0xff, 0xff, 0xff],
    [0x85, 0x01, 0x00, 0x00, 0x00, 0x00],
    [0x89, ...Array(9).fill(0xff)],
    [0x82, (h.length >> 8) & 0xff, h.length & 0xff],
    [0x84, 0, 0, (h.length >> 8) & 0xff, h.length & 0xff],
    [0x81],
    [0xff],
  ];
  return concat(der.subarray(0, h.lengthStart), Uint8Array.from(rng.pick(replacements)), der.subarray(h.contentStart));
};

/** Replaces the identifier octet of one TLV: wrong universal tag, context tag, high-tag-number form. */
export const tamperDerTag: ByteMutator = (rng, der) => {
  const headers = tlvHeaders(der);
  if (headers.length === 0) return setByte(rng, der);
  const h = rng.pick(headers);
  const tag = rng.pick([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0x80, 0x81, 0x82, 0x86, 0x87, 0xa0, 0xa1, 0xa3, 0xa4, 0x1f, 0x3f, 0xbf]);
  const extra = (tag & 0x1f) === 0x1f ? rng.pick([[0x81, 0x00], [0xff, 0xff, 0xff, 0xff, 0x7f], [0x80], []]) : [];
  return concat(der.subarray(0, h.start), Uint8Array.from([tag, ...extra]), der.subarray(h.start + 1));
};

/** Wraps the content of one constructed TLV in many more levels of the same tag: depth bounds. */
export const nestDeeper: ByteMutator = (rng, der) => {
  const headers = tlvHeaders(der);
  if (headers.length === 0) return der;
  const h = rng.pick(headers);
  let inner = der.subarray(h.start, h.contentStart + h.length);
  const levels = rng.chance(0.5) ? rng.small(8) : 40 + rng.int(200);
  for (let i = 0; i < levels; i++) inner = concat(Uint8Array.from([0x30, ...encodeLength(inner.length)]), inner);
  return concat(der.subarray(0, h.start), inner, der.subarray(h.contentStart + h.length));
};

export const BYTE_MUTATORS: ByteMutator[] = [flipBit, setByte, insertBytes, deleteBytes, truncate, duplicateRange];
export const DER_MUTATORS: ByteMutator[] = [...BYTE_MUTATORS, tamperDerLength, tamperDerLength, tamperDerTag, nestDeeper];

/** Applies 1..max mutators in a row; `others` feeds splicing. */
export function mutateBytes(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[], mutators: readonly ByteMutator[], max = 4): Uint8Array {
  let out = seed;
  for (let i = rng.small(max); i > 0; i--) {
    out = others.length > 0 && rng.chance(0.08) ? splice(rng, out, rng.pick(others)) : rng.pick(mutators)(rng, out);
  }
  return out;
}

// --- DER helpers -------------------------------------------------------------------------------------------------

export interface TlvHeader {
  start: number;
  lengthStart: number;
  contentStart: number;
  length: number;
}

/** TLV headers of a (mostly) valid DER buffer, descending where the content parses as DER. Never throws. */
export function tlvHeaders(der: Uint8Array): TlvHeader[] {
  const out: TlvHeader[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    let p = start;
    while (p < end) {
      const h = readHeader(der, p, end);
      if (h === undefined) return false;
      out.push(h);
      const tag = der[p];
      const contentEnd = h.contentStart + h.length;
      if (depth < 20) {
        if (tag & 0x20) walk(h.contentStart, contentEnd, depth + 1);
        else if (tag === 0x04 && h.length > 1) {
          const mark = out.length;
          if (!walk(h.contentStart, contentEnd, depth + 1)) out.length = mark;
        } else if (tag === 0x03 && h.length > 2 && der[h.contentStart] === 0) {
          const mark = out.length;
          if (!walk(h.contentStart + 1, contentEnd, depth + 1)) out.length = mark;
        }
      }
      p = contentEnd;
    }
    return p === end;
  };
  walk(0, der.length, 0);
  return out;
}

function readHeader(der: Uint8Array, start: number, end: number): TlvHeader | undefined {
  let p = start + 1;
  if (p >= end || (der[start] & 0x1f) === 0x1f) return undefined;
  const lengthStart = p;
  const first = der[p++];
  let length = first;
  if (first === 0x80 || first > 0x84) return undefined;
  if (first > 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) {
      if (p >= end) return undefined;
      length = length * 256 + der[p++];
    }
  }
  if (p + length > end) return undefined;
  return { start, lengthStart, contentStart: p, length };
}

export function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One DER TLV. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.from([tag, ...encodeLength(body.length)]), body);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// --- text mutators -----------------------------------------------------------------------------------------------

export type TextMutator = (rng: Rng, text: string) => string;

/** Inserts one of `pieces` at a random position (or at a line start, when `atLineStart`). */
export function insertPiece(pieces: readonly string[], atLineStart = false): TextMutator {
  return (rng, text) => {
    let at = rng.int(text.length + 1);
    if (atLineStart) at = text.lastIndexOf('\n', at - 1) + 1;
    return text.slice(0, at) + rng.pick(pieces) + text.slice(at);
  };
}

export const deleteChars: TextMutator = (rng, t) => {
  const at = rng.int(t.length + 1);
  return t.slice(0, at) + t.slice(at + rng.small(40));
};

export const truncateText: TextMutator = (rng, t) => t.slice(0, rng.int(t.length + 1));

/** Swaps two lines, duplicates one or drops one. */
export const shuffleLines: TextMutator = (rng, t) => {
  const lines = t.split('\n');
  const i = rng.int(lines.length);
  const j = rng.int(lines.length);
  switch (rng.int(3)) {
    case 0:
      [lines[i], lines[j]] = [lines[j], lines[i]];
      break;
    case 1:
      lines.splice(i, 0, ...Array<string>(rng.small(20)).fill(lines[j]));
      break;
    default:
      lines.splice(i, 1);
  }
  return lines.join('\n');
};

/** Replaces one character by a control character, a quote, a backslash, a non-ASCII or a lone surrogate. */
export const garbleChar: TextMutator = (rng, t) => {
  if (t.length === 0) return t;
  const at = rng.int(t.length);
  const ch = rng.pick(['\0', '\x01', '\x1b', '\x7f', '\r', '\n', '\t', '\v', '\f', '"', "'", '\\', '\u0085', '\u2028', '\ufeff', '\ud800', 'é', '€', ' ']);
  return t.slice(0, at) + ch + t.slice(at + 1);
};

/** Rewrites one run of digits: 0, huge, negative, many digits, or not a number at all. */
export const mutateNumber: TextMutator = (rng, t) => {
  const runs = [...t.matchAll(/\d+/g)];
  if (runs.length === 0) return t;
  const m = rng.pick(runs);
  const repl = rng.pick(['0', '-1', '4294967296', '99999999999999999999999', '9'.repeat(400), '1e309', 'NaN', '', ' ', '00000000', '0x1f', `${Number(m[0]) + 1}`]);
  return t.slice(0, m.index) + repl + t.slice(m.index! + m[0].length);
};

export function mutateText(rng: Rng, seed: string, others: readonly string[], mutators: readonly TextMutator[], max = 4): string {
  let out = seed;
  for (let i = rng.small(max); i > 0; i--) {
    if (others.length > 0 && rng.chance(0.08)) {
      const other = rng.pick(others);
      out = out.slice(0, rng.int(out.length + 1)) + other.slice(rng.int(other.length + 1));
    } else {
      out = rng.pick(mutators)(rng, out);
    }
  }
  return out;
}

// --- the runner --------------------------------------------------------------------------------------------------

export interface FuzzFailure {
  index: number;
  kind: 'crash' | 'hang';
  /** Milliseconds the input took. */
  ms: number;
  /** The unexpected exception's first stack lines, or the time for a hang. */
  detail: string;
  /** A printable preview of the input, to recognise it (replay with FUZZ_SEED/FUZZ_ONLY for the bytes). */
  preview: string;
}

export interface FuzzResult {
  target: string;
  seed: number;
  inputs: number;
  accepted: number;
  typedErrors: number;
  crashes: FuzzFailure[];
  hangs: FuzzFailure[];
  slowestMs: number;
  slowestIndex: number;
  /** One line for the log and the closing note: `N inputs, 0 crashes, 0 hangs`. */
  summary: string;
}

export interface FuzzTarget<T> {
  name: string;
  /** Default count; FUZZ_ITERATIONS overrides it. */
  iterations: number;
  /** An input slower than this twice in a row is a hang. */
  perInputMs: number;
  /** Input `index`, from its own RNG. */
  generate(rng: Rng, index: number): T;
  /** Feeds one input to the code under test; may be async. */
  run(input: T): unknown;
  /** True for the exceptions the API documents (InputError, DerError, NginxParseError...). */
  expected(error: unknown): boolean;
  preview(input: T): string;
  /** False: ignore FUZZ_ITERATIONS/FUZZ_ONLY (the harness's own self-test). */
  useEnv?: boolean;
}

export const FUZZ_SEED = envInt('FUZZ_SEED') ?? 20261204;

export async function fuzz<T>(target: FuzzTarget<T>): Promise<FuzzResult> {
  const seed = FUZZ_SEED;
  const useEnv = target.useEnv ?? true;
  const count = (useEnv ? envInt('FUZZ_ITERATIONS') : undefined) ?? target.iterations;
  const only = useEnv ? envInt('FUZZ_ONLY') : undefined;
  const trace = process.env.FUZZ_TRACE !== undefined;
  const result: FuzzResult = { target: target.name, seed, inputs: 0, accepted: 0, typedErrors: 0, crashes: [], hangs: [], slowestMs: 0, slowestIndex: -1, summary: '' };
  for (let index = only ?? 0; index < (only !== undefined ? only + 1 : count); index++) {
    const input = target.generate(rngFor(seed, index), index);
    if (trace) console.log(`${target.name}: input ${index}: ${process.env.FUZZ_TRACE === 'full' ? JSON.stringify(input) : target.preview(input)}`);
    const { ms: first, crash, typed } = await runOnce(target, input);
    // Confirm before calling it a hang: the machine is shared, and a GC pause or a busy neighbour can land on any
    // input (seen: 400 ms on an input that takes 6 ms alone). A slow input is slow again; a blip is not.
    const ms = first > target.perInputMs ? Math.min(first, (await runOnce(target, input)).ms) : first;
    result.inputs++;
    if (ms > result.slowestMs) {
      result.slowestMs = ms;
      result.slowestIndex = index;
    }
    if (crash !== undefined) {
      result.crashes.push({ index, kind: 'crash', ms, detail: describeError(crash), preview: target.preview(input) });
    } else if (typed) result.typedErrors++;
    else result.accepted++;
    if (ms > target.perInputMs) {
      result.hangs.push({ index, kind: 'hang', ms, detail: `${ms.toFixed(0)} ms > ${target.perInputMs} ms`, preview: target.preview(input) });
    }
  }
  result.summary =
    `${target.name}: ${result.inputs} inputs, ${result.crashes.length} crashes, ${result.hangs.length} hangs ` +
    `(seed ${seed}; ${result.accepted} accepted, ${result.typedErrors} typed errors; slowest ${result.slowestMs.toFixed(1)} ms, input ${result.slowestIndex})`;
  return result;
}

async function runOnce<T>(target: FuzzTarget<T>, input: T): Promise<{ ms: number; crash: unknown; typed: boolean }> {
  const t0 = performance.now();
  try {
    await target.run(input);
    return { ms: performance.now() - t0, crash: undefined, typed: false };
  } catch (err) {
    const typed = target.expected(err);
    return { ms: performance.now() - t0, crash: typed ? undefined : err, typed };
  }
}

/** What a failed run shows: enough to replay each failure. */
export function failureReport(r: FuzzResult): string {
  const lines = [...r.crashes, ...r.hangs].slice(0, 10).map(
    (f) => `${f.kind} at input ${f.index} (replay: FUZZ_SEED=${r.seed} FUZZ_ONLY=${f.index}): ${f.detail} | input: ${f.preview}`,
  );
  return [r.summary, ...lines].join('\n');
}

function describeError(err: unknown): string {
  if (err instanceof Error) return (err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, 4).join(' / ');
  return `non-Error thrown: ${String(err)}`;
}

/** A short printable view of an input (hex for bytes, escaped text otherwise). */
export function previewBytes(b: Uint8Array, max = 48): string {
  return `${b.length} bytes ${Buffer.from(b.subarray(0, max)).toString('hex')}${b.length > max ? '...' : ''}`;
}

export function previewText(t: string, max = 120): string {
  return `${t.length} chars ${JSON.stringify(t.length > max ? `${t.slice(0, max)}...` : t)}`;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
