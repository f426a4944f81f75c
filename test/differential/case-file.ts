/**
 * The committed form of the differential suite: cases.json.gz (certificates stored once, cases refer to them by index)
 * and openssl-verdicts.json (what `openssl verify` said about each case). Read by differential.test.ts, written by
 * run-openssl.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fromPem, toPem } from './cert-builder.js';
import type { DifferentialCase } from './generate-cases.js';

export const CASES_FILE = new URL('./cases.json.gz', import.meta.url);
export const VERDICTS_FILE = new URL('./openssl-verdicts.json', import.meta.url);
/** The `parity/` corpus (generate-parity-cases.ts), regenerated on its own with `run-openssl.ts --parity`. */
export const PARITY_CASES_FILE = new URL('./parity-cases.json.gz', import.meta.url);
export const PARITY_VERDICTS_FILE = new URL('./parity-verdicts.json', import.meta.url);

interface StoredCase {
  id: string;
  description: string;
  trusted: number[];
  untrusted: number[];
  leaf: number;
  at: string;
  hostname?: string;
  depth: number;
  seclevel: number;
}

interface StoredCaseFile {
  schemaVersion: 1;
  generator: string;
  /** Base64 DER, each certificate once. */
  certificates: string[];
  cases: StoredCase[];
}

/** One `openssl verify` run: ok, or the errors it printed (`error N at D depth lookup: text`) as [N, D]. */
export interface OpensslRun {
  ok: boolean;
  errors: Array<[code: number, depth: number]>;
  /** Set when the CLI failed before verifying (a file it could not load). */
  loadError?: string;
}

/**
 * The chain verified the way nginx verifies it: over TLS, by libssl (ssl_verify_cert_chain), with a verify callback
 * that always returns 1 (`openssl s_client`'s, like ngx_ssl_verify_callback) and no host name in the verify
 * parameters. `errors` is every error the callback saw, in order; nginx logs the last one.
 */
export type TlsRun =
  | { observed: true; errors: Array<[code: number, depth: number]> }
  /** The handshake failed before verification, or the server did not send the chain as given. */
  | { observed: false; reason: string };

export interface OpensslVerdict extends OpensslRun {
  /** Same run without `-verify_hostname` (present only for cases with a hostname): the chain-only verdict. */
  chain?: OpensslRun;
  /** `openssl s_client` against a local TLS server sending the case's chain (see run-openssl.ts). */
  tls?: TlsRun;
}

export interface VerdictFile {
  schemaVersion: 1;
  openssl: string;
  command: string;
  /** SHA-256 of the uncompressed cases JSON these verdicts belong to. */
  casesSha256: string;
  errorTexts: Record<string, string>;
  verdicts: Record<string, OpensslVerdict>;
}

function serialise(cases: DifferentialCase[], generator: string): string {
  const index = new Map<string, number>();
  const certificates: string[] = [];
  const ref = (pem: string): number => {
    const b64 = fromPem(pem).toString('base64');
    let i = index.get(b64);
    if (i === undefined) {
      i = certificates.length;
      certificates.push(b64);
      index.set(b64, i);
    }
    return i;
  };
  const stored: StoredCase[] = cases.map((c) => ({
    id: c.id,
    description: c.description,
    trusted: c.trusted.map(ref),
    untrusted: c.untrusted.map(ref),
    leaf: ref(c.leaf),
    at: c.at,
    ...(c.hostname !== undefined ? { hostname: c.hostname } : {}),
    depth: c.depth,
    seclevel: c.seclevel,
  }));
  const file: StoredCaseFile = {
    schemaVersion: 1,
    generator,
    certificates,
    cases: stored,
  };
  return JSON.stringify(file);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes cases.json.gz; returns the SHA-256 of the uncompressed JSON. */
export function writeCases(
  cases: DifferentialCase[],
  file: URL = CASES_FILE,
  generator = 'test/differential/generate-cases.ts',
): string {
  const json = serialise(cases, generator);
  writeFileSync(file, gzipSync(json, { level: 9 }));
  return sha256(json);
}

export function readCases(file: URL = CASES_FILE): { cases: DifferentialCase[]; sha256: string } {
  const json = gunzipSync(readFileSync(file)).toString('utf8');
  const stored = JSON.parse(json) as StoredCaseFile;
  if (stored.schemaVersion !== 1) throw new Error(`unsupported cases schemaVersion ${String(stored.schemaVersion)}`);
  const pems = stored.certificates.map((b64) => toPem(Buffer.from(b64, 'base64')));
  const cases = stored.cases.map(
    (c): DifferentialCase => ({
      id: c.id,
      description: c.description,
      trusted: c.trusted.map((i) => pems[i]!),
      untrusted: c.untrusted.map((i) => pems[i]!),
      leaf: pems[c.leaf]!,
      at: c.at,
      ...(c.hostname !== undefined ? { hostname: c.hostname } : {}),
      depth: c.depth,
      seclevel: c.seclevel,
    }),
  );
  return { cases, sha256: sha256(json) };
}

export function writeVerdicts(verdicts: VerdictFile, file: URL = VERDICTS_FILE): void {
  // One case per line: reviewable diffs when a regeneration changes a verdict.
  const lines = Object.entries(verdicts.verdicts).map(([id, v]) => `    ${JSON.stringify(id)}: ${JSON.stringify(v)}`);
  const head = { ...verdicts, verdicts: undefined };
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  writeFileSync(file, `${headJson},\n  "verdicts": {\n${lines.join(',\n')}\n  }\n}\n`);
}

export function readVerdicts(file: URL = VERDICTS_FILE): VerdictFile {
  return JSON.parse(readFileSync(file, 'utf8')) as VerdictFile;
}
