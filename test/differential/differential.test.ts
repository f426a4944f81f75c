/**
 * Differential test (issue 4): the trust engine's verdict against `openssl verify` (OpenSSL 3.0, the library nginx
 * and Node 20 use) on every case of cases.json.gz. The OpenSSL verdicts are committed (openssl-verdicts.json, made by
 * run-openssl.ts), so this test spawns nothing.
 *
 * Figures (each printed, the first asserted >= 99.5%):
 *  1. accept/reject: OpenSSL with `-verify_hostname` says OK  ⇔  we say `ok` and the name matched (nginx's decision).
 *  2. first error as the CLI reports it: the CLI checks the name inside X509_verify_cert (check_id runs after
 *     build_chain, check_extensions and check_auth_level, before internal_verify and check_name_constraints), so when
 *     our `errors` carry no 62 we insert it at that point.
 *  3. first chain error: the run without `-verify_hostname` against our first non-62 error — what nginx's verify
 *     callback sees (nginx calls X509_check_host only after the handshake).
 *  4. chain accept/reject (without the name) and the depth of the first error, for diagnosis.
 *  5. over TLS (`tls` verdicts: libssl + a verify callback that returns 1, exactly nginx's set-up): the whole error
 *     sequence and its last entry — the code nginx logs (`upstream SSL certificate verify error: (N:...)`) — against
 *     our non-62 errors and their last one. Cases the TLS handshake could not carry (DSA, P-192 leaves) are skipped.
 *
 * The `parity/` corpus (parity-cases.json.gz + parity-verdicts.json, made by generate-parity-cases.ts) is judged the
 * same way and counted in the same figures; on it agreement must be total. A certificate d2i_X509 refuses makes
 * `openssl verify` fail to load (`loadError`): that is agreement when our parser refuses it too (first error -1).
 *
 * DIFFERENTIAL_REPORT=path.json writes every disagreement with both sides' errors for analysis.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { verifyChain } from '../../src/chain/verify.js';
import type { VerifyResult } from '../../src/chain/types.js';
import {
  PARITY_CASES_FILE,
  PARITY_VERDICTS_FILE,
  readCases,
  readVerdicts,
  type OpensslRun,
  type OpensslVerdict,
} from './case-file.js';
import { fromPem } from './cert-builder.js';
import type { DifferentialCase } from './generate-cases.js';

const HOSTNAME_MISMATCH = 62;
const REQUIRED_AGREEMENT = 0.995;

/**
 * The X509_verify_cert stage (OpenSSL 3.0 crypto/x509/x509_vfy.c verify_chain) that reports each error code, used
 * only to place the CLI's hostname error (check_id, stage 3) among ours.
 */
function stageOf(code: number): number {
  switch (code) {
    case 7: // certificate signature failure        internal_verify
    case 6: // unable to decode issuer public key
    case 9: // not yet valid
    case 10: // expired
    case 13: // format error in notBefore
    case 14: // format error in notAfter
    case 32: // key usage does not include certificate signing
      return 4;
    case 47: // permitted subtree violation          check_name_constraints
    case 48: // excluded subtree violation
    case 49: // unsupported name constraint type
    case 50:
    case 51:
    case 53:
      return 5;
    case 67: // CA key too weak                     check_auth_level
    case 68: // CA md too weak
      return 2;
    default: // build_chain (2, 18, 19, 20, 21, 22), EE key (66), check_extensions (24/79, 25, 26, 34, 41, ...)
      return 1;
  }
}

interface Outcome {
  id: string;
  family: string;
  opensslAccept: boolean;
  oursAccept: boolean;
  opensslFirst: number;
  oursFirst: number;
  opensslFirstDepth?: number;
  oursFirstDepth?: number;
  opensslChainFirst: number;
  oursChainFirst: number;
  opensslChainAccept: boolean;
  oursChainAccept: boolean;
  opensslErrors: Array<[number, number]>;
  oursErrors: Array<[number, number]>;
  hostnameMatched?: boolean;
  threw?: string;
  /** nginx's view over TLS (undefined when not observable). */
  tlsErrors?: Array<[number, number]>;
  oursChainErrors: Array<[number, number]>;
}

function familyOf(id: string): string {
  const parts = id.split('/');
  // Families whose second segment is itself a grouping (cross-signed/<tag>, name-constraints/<constraint>).
  return parts[0] === 'cross-signed' || parts[0] === 'name-constraints' || parts[0] === 'parity'
    ? `${parts[0]}/${parts[1]}`
    : parts[0]!;
}

/** Our errors in the order the CLI would print them: 62 inserted where check_id runs. */
function cliOrder(result: VerifyResult, hostname: string | undefined): Array<[number, number]> {
  const errors = result.errors.map((e): [number, number] => [e.code, e.depth]);
  if (hostname === undefined || result.hostnameMatched !== false) return errors;
  if (errors.some(([code]) => code === HOSTNAME_MISMATCH)) return errors;
  const at = errors.findIndex(([code]) => stageOf(code) > 3);
  const withName: Array<[number, number]> = [...errors];
  withName.splice(at === -1 ? errors.length : at, 0, [HOSTNAME_MISMATCH, 0]);
  return withName;
}

/** The first error of a run: -1 when OpenSSL could not load a certificate (d2i_X509 refused it). */
const firstOf = (run: OpensslRun): number => (run.loadError !== undefined ? -1 : (run.errors[0]?.[0] ?? 0));

function judge(c: DifferentialCase, verdict: OpensslVerdict, parse: (pem: string) => Cert): Outcome {
  const chainRun: OpensslRun = verdict.chain ?? verdict;
  const base = {
    id: c.id,
    family: familyOf(c.id),
    opensslAccept: verdict.ok,
    opensslFirst: firstOf(verdict),
    opensslFirstDepth: verdict.errors[0]?.[1],
    opensslChainFirst: firstOf(chainRun),
    opensslChainAccept: chainRun.ok,
    opensslErrors: verdict.errors,
    ...(verdict.tls?.observed ? { tlsErrors: verdict.tls.errors } : {}),
  };
  let result: VerifyResult;
  try {
    result = verifyChain({
      sent: [c.leaf, ...c.untrusted].map(parse),
      trusted: c.trusted.map(parse),
      at: new Date(c.at),
      depth: c.depth,
      seclevel: c.seclevel,
      ...(c.hostname !== undefined ? { hostname: c.hostname } : {}),
    });
  } catch (e) {
    const threw = String((e as Error)?.message ?? e).split('\n')[0]!;
    return {
      ...base,
      oursAccept: false,
      oursFirst: -1,
      oursChainFirst: -1,
      oursChainAccept: false,
      oursErrors: [],
      oursChainErrors: [],
      threw,
    };
  }
  const ordered = cliOrder(result, c.hostname);
  const chainErrors = result.errors.filter((e) => e.code !== HOSTNAME_MISMATCH);
  const nameOk = c.hostname === undefined || result.hostnameMatched !== false;
  return {
    ...base,
    oursAccept: result.ok && nameOk,
    oursFirst: ordered[0]?.[0] ?? 0,
    oursFirstDepth: ordered[0]?.[1],
    oursChainFirst: chainErrors[0]?.code ?? 0,
    oursChainAccept: chainErrors.length === 0,
    oursErrors: ordered,
    oursChainErrors: chainErrors.map((e): [number, number] => [e.code, e.depth]),
    hostnameMatched: result.hostnameMatched,
  };
}

function percent(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(2)}% (${n}/${of})`;
}

function describeErrors(errors: Array<[number, number]>, accept: boolean, texts: Record<string, string>): string {
  if (accept) return 'OK';
  if (errors.length === 0) return 'rejected without an error';
  return errors.map(([code, depth]) => `${code}@${depth} ${texts[String(code)] ?? ''}`.trim()).join(', ');
}

/** Both outcomes agree on everything the parity family asserts (accept/reject, first error and depth, chain). */
function agreesFully(o: Outcome): boolean {
  return (
    o.opensslAccept === o.oursAccept &&
    o.opensslFirst === o.oursFirst &&
    o.opensslFirstDepth === o.oursFirstDepth &&
    o.opensslChainAccept === o.oursChainAccept &&
    o.opensslChainFirst === o.oursChainFirst
  );
}

describe('differential: trust engine vs openssl verify', () => {
  const main = readCases();
  const mainVerdicts = readVerdicts();
  const parity = readCases(PARITY_CASES_FILE);
  const parityVerdicts = readVerdicts(PARITY_VERDICTS_FILE);
  const cases = [...main.cases, ...parity.cases];
  const verdictFile = {
    ...mainVerdicts,
    errorTexts: { ...parityVerdicts.errorTexts, ...mainVerdicts.errorTexts },
    verdicts: { ...mainVerdicts.verdicts, ...parityVerdicts.verdicts },
  };
  let judged: Outcome[] | undefined;
  const judgeAll = (): Outcome[] => {
    if (judged) return judged;
    const parsed = new Map<string, Cert>();
    const parse = (pem: string): Cert => {
      let cert = parsed.get(pem);
      if (!cert) {
        cert = parseCertificate(new Uint8Array(fromPem(pem)));
        parsed.set(pem, cert);
      }
      return cert;
    };
    judged = cases.map((c) => judge(c, verdictFile.verdicts[c.id]!, parse));
    return judged;
  };

  it('has committed OpenSSL verdicts for exactly these cases', () => {
    expect(mainVerdicts.casesSha256).toBe(main.sha256);
    expect(parityVerdicts.casesSha256).toBe(parity.sha256);
    expect(main.cases.length).toBeGreaterThanOrEqual(500);
    expect(parity.cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) {
      const v = verdictFile.verdicts[c.id];
      expect(v, c.id).toBeDefined();
      // Only the parity cases made to be refused by d2i_X509 may fail to load.
      if (!c.id.startsWith('parity/b-indefinite/refused-')) expect(v!.loadError, c.id).toBeUndefined();
    }
  });

  it('agrees with OpenSSL on every parity case: accept/reject, first error and depth, chain verdict', () => {
    const disagreements = judgeAll()
      .filter((o) => o.id.startsWith('parity/') && !agreesFully(o))
      .map((o) => `${o.id}: openssl ${JSON.stringify(o.opensslErrors)}, ours ${o.threw ? `threw ${o.threw}` : JSON.stringify(o.oursErrors)}`);
    expect(disagreements).toEqual([]);
  });

  it(`agrees with OpenSSL on accept/reject for >= ${REQUIRED_AGREEMENT * 100}% of the cases`, () => {
    const outcomes = judgeAll();
    const texts = verdictFile.errorTexts;
    const n = outcomes.length;
    const accept = outcomes.filter((o) => o.opensslAccept === o.oursAccept).length;
    const first = outcomes.filter((o) => o.opensslFirst === o.oursFirst).length;
    const firstWithDepth = outcomes.filter(
      (o) => o.opensslFirst === o.oursFirst && o.opensslFirstDepth === o.oursFirstDepth,
    ).length;
    const chainAccept = outcomes.filter((o) => o.opensslChainAccept === o.oursChainAccept).length;
    const chainFirst = outcomes.filter((o) => o.opensslChainFirst === o.oursChainFirst).length;
    const threw = outcomes.filter((o) => o.threw).length;
    const overTls = outcomes.filter((o) => o.tlsErrors !== undefined);
    const lastOf = (errors: Array<[number, number]>): number => errors[errors.length - 1]?.[0] ?? 0;
    const tlsSequence = overTls.filter((o) => JSON.stringify(o.tlsErrors) === JSON.stringify(o.oursChainErrors)).length;
    const tlsLast = overTls.filter((o) => lastOf(o.tlsErrors!) === lastOf(o.oursChainErrors)).length;

    const lines: string[] = [];
    lines.push(`differential suite: ${n} cases, ${verdictFile.openssl}`);
    lines.push(`  accept/reject (with hostname):   ${percent(accept, n)}`);
    lines.push(`  first error, CLI order:          ${percent(first, n)}`);
    lines.push(`  first error code and depth:      ${percent(firstWithDepth, n)}`);
    lines.push(`  chain accept/reject (no name):   ${percent(chainAccept, n)}`);
    lines.push(`  first chain error (no hostname): ${percent(chainFirst, n)}`);
    lines.push(`  over TLS, as nginx verifies (${overTls.length} observable cases):`);
    lines.push(`    last error (what nginx logs):  ${percent(tlsLast, overTls.length)}`);
    lines.push(`    every error, in order:         ${percent(tlsSequence, overTls.length)}`);
    lines.push(`  engine threw:                    ${threw}`);

    // Per family.
    const families = new Map<string, Outcome[]>();
    for (const o of outcomes) families.set(o.family, [...(families.get(o.family) ?? []), o]);
    lines.push('  per family: accept/reject agreement, first-error agreement');
    for (const [family, list] of [...families.entries()].sort()) {
      const a = list.filter((o) => o.opensslAccept === o.oursAccept).length;
      const f = list.filter((o) => o.opensslFirst === o.oursFirst).length;
      lines.push(`    ${family.padEnd(48)} ${String(a).padStart(4)}/${String(list.length).padEnd(4)} ${String(f).padStart(4)}/${list.length}`);
    }

    // Disagreements grouped by cause: family + what OpenSSL says + what we say.
    const groups = new Map<string, Outcome[]>();
    for (const o of outcomes) {
      if (o.opensslAccept === o.oursAccept && o.opensslFirst === o.oursFirst && o.opensslChainFirst === o.oursChainFirst) continue;
      const ours = o.threw ? `threw "${o.threw}"` : o.oursAccept ? 'OK' : `first ${o.oursFirst}`;
      const theirs = o.opensslAccept ? 'OK' : `first ${o.opensslFirst}`;
      const chainNote =
        o.opensslChainFirst !== o.oursChainFirst ? ` [chain: openssl ${o.opensslChainFirst}, ours ${o.oursChainFirst}]` : '';
      const key = `${o.family} | openssl ${theirs} | ours ${ours}${chainNote}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    lines.push(`  disagreements: ${[...groups.values()].reduce((s, g) => s + g.length, 0)} cases in ${groups.size} groups`);
    const tlsGroups = new Map<string, Outcome[]>();
    for (const o of overTls) {
      if (lastOf(o.tlsErrors!) === lastOf(o.oursChainErrors) && JSON.stringify(o.tlsErrors) === JSON.stringify(o.oursChainErrors)) continue;
      const fmt = (errors: Array<[number, number]>): string => errors.map(([c, d]) => `${c}@${d}`).join(',') || 'none';
      const key = `${o.family} | tls ${fmt(o.tlsErrors!)} | ours ${o.threw ? 'threw' : fmt(o.oursChainErrors)}`;
      tlsGroups.set(key, [...(tlsGroups.get(key) ?? []), o]);
    }
    for (const [key, list] of [...groups.entries()].sort((a, b) => b[1].length - a[1].length)) {
      const example = list[0]!;
      lines.push(`    [${list.length}] ${key}`);
      lines.push(`        openssl: ${describeErrors(example.opensslErrors, example.opensslAccept, texts)}`);
      lines.push(`        ours:    ${example.threw ? `threw ${example.threw}` : describeErrors(example.oursErrors, example.oursAccept, texts)}`);
      lines.push(`        ids: ${list.slice(0, 8).map((o) => o.id).join(' ')}${list.length > 8 ? ` ... (+${list.length - 8})` : ''}`);
    }
    lines.push(`  error-sequence disagreements over TLS: ${[...tlsGroups.values()].reduce((s, g) => s + g.length, 0)} cases in ${tlsGroups.size} groups`);
    for (const [key, list] of [...tlsGroups.entries()].sort((a, b) => b[1].length - a[1].length)) {
      lines.push(`    [${list.length}] ${key}`);
      lines.push(`        ids: ${list.slice(0, 8).map((o) => o.id).join(' ')}${list.length > 8 ? ` ... (+${list.length - 8})` : ''}`);
    }
    console.log(lines.join('\n'));

    const reportPath = process.env.DIFFERENTIAL_REPORT;
    if (reportPath) {
      const disagreements = outcomes.filter(
        (o) =>
          o.opensslAccept !== o.oursAccept ||
          o.opensslFirst !== o.oursFirst ||
          o.opensslChainFirst !== o.oursChainFirst ||
          (o.tlsErrors !== undefined && JSON.stringify(o.tlsErrors) !== JSON.stringify(o.oursChainErrors)),
      );
      writeFileSync(reportPath, JSON.stringify({ summary: lines, disagreements }, null, 2));
    }

    expect(accept / n).toBeGreaterThanOrEqual(REQUIRED_AGREEMENT);
  });
});
