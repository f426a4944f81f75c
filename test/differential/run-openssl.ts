/**
 * Generates the differential cases, writes test/differential/cases.json.gz, asks `openssl verify` about each case and
 * writes test/differential/openssl-verdicts.json. Both files are committed; differential.test.ts never spawns OpenSSL.
 *
 *   node --import tsx test/differential/run-openssl.ts                 # regenerate cases + verdicts
 *   node --import tsx test/differential/run-openssl.ts --verdicts-only # keep cases.json.gz, re-ask OpenSSL
 *   node --import tsx test/differential/run-openssl.ts --verdicts-only --compare-leaf-in-untrusted
 *   node --import tsx test/differential/run-openssl.ts --parity        # the parity/ corpus instead (own files)
 *
 * The command models nginx's upstream verification (ngx_ssl_trusted_certificate → SSL_CTX_load_verify_locations(file)):
 *   openssl verify -purpose sslserver -auth_level <seclevel> -verify_depth <depth> -attime <epoch>
 *                  [-verify_hostname <name>] -CAfile trusted.pem -no-CApath -no-CAstore [-untrusted chain.pem] leaf.pem
 * `-no-CApath -no-CAstore` matter: with `-CAfile` alone, apps/lib/apps.c setup_verify() still adds the default
 * directory lookup (/usr/lib/ssl/certs), so a system root would be trusted; nginx never uses the system store.
 * `-CAfile` (an X509_STORE with a file lookup, like nginx) rather than `-trusted` (a bare stack).
 *
 * For cases with a hostname the CLI is run a second time without `-verify_hostname`: the CLI checks the name inside
 * X509_verify_cert (check_id, before signatures and dates), while nginx checks it with X509_check_host after the
 * handshake, so the chain-only run is what nginx's verify callback sees.
 *
 * Unless `--no-tls` or `--verdicts-only` (cases.json.gz holds no private keys, so the TLS verdicts already recorded
 * for the same cases are kept), each case is also served over TLS on
 * 127.0.0.1 (a node:tls server sending exactly the case's leaf + chain) to
 *   openssl s_client -connect 127.0.0.1:<port> -showcerts -CAfile trusted.pem -no-CApath -no-CAstore -purpose sslserver
 *                    -verify_depth <depth> -attime <epoch> -cipher ALL:@SECLEVEL=<seclevel>
 * whose verify callback (apps/lib/s_cb.c verify_callback) prints every error and returns 1, as nginx's does: the
 * `tls` verdict is the full error sequence nginx's OpenSSL produces, its last entry the code nginx logs. The security
 * level comes from the cipher string because libssl overrides auth_level with SSL_get_security_level().
 *
 * `--compare-leaf-in-untrusted` also runs each case with the leaf prepended to `-untrusted`, which is what libssl
 * passes (ssl_verify_cert_chain: X509_STORE_CTX_init(ctx, store, leaf, whole peer chain)), and lists any case where
 * that changes the verdict.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import {
  CASES_FILE,
  PARITY_CASES_FILE,
  PARITY_VERDICTS_FILE,
  VERDICTS_FILE,
  readCases,
  readVerdicts,
  writeCases,
  writeVerdicts,
  type OpensslRun,
  type OpensslVerdict,
  type TlsRun,
  type VerdictFile,
} from './case-file.js';
import { fromPem } from './cert-builder.js';
import { generateCases, type DifferentialCase } from './generate-cases.js';
import { generateParityCases } from './generate-parity-cases.js';

const CONCURRENCY = 2;

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(); // s_client closes the connection on EOF
  });
}

/** Serves the case's chain on 127.0.0.1 and lets `openssl s_client` verify it as nginx's libssl would. */
async function tlsRunFor(c: DifferentialCase, dir: string): Promise<TlsRun> {
  if (!c.leafKey) return { observed: false, reason: 'no leaf key' };
  const sent = [c.leaf, ...c.untrusted];
  let server: tls.Server;
  try {
    // SECLEVEL=0 on the server: it must send weak chains as they are; the client's level is the one under test.
    server = tls.createServer({ key: c.leafKey, cert: sent.join(''), ciphers: 'ALL:@SECLEVEL=0', minVersion: 'TLSv1.2' });
  } catch (e) {
    return { observed: false, reason: `server refused the chain: ${String((e as Error).message).split('\n')[0]}` };
  }
  server.on('secureConnection', (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts', '-CAfile', 'trusted.pem', '-no-CApath', '-no-CAstore'];
    args.push('-purpose', 'sslserver', '-verify_depth', String(c.depth), '-attime', String(Math.floor(Date.parse(c.at) / 1000)));
    args.push('-cipher', `ALL:@SECLEVEL=${c.seclevel}`);
    const out = await run(args, dir);
    const received = [...out.stdout.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map((m) =>
      fromPem(m[0]).toString('base64'),
    );
    const expected = sent.map((pem) => fromPem(pem).toString('base64'));
    // -showcerts prints the chain only when the handshake completes; when it does, it must be the chain we meant.
    if (received.length > 0 && JSON.stringify(received) !== JSON.stringify(expected)) {
      return { observed: false, reason: 'server sent another chain' };
    }
    // The callback prints `depth=D <subject>` then `verify error:num=N:text` for each error (s_cb.c).
    const errors: Array<[number, number]> = [];
    let depth = -1;
    for (const line of out.stderr.split('\n')) {
      const d = /^depth=(\d+) /.exec(line);
      if (d) depth = Number(d[1]);
      const e = /^verify error:num=(\d+):/.exec(line);
      if (e) errors.push([Number(e[1]), depth]);
    }
    if (depth === -1) return { observed: false, reason: 'handshake failed before the certificate was verified' };
    return { observed: true, errors };
  } finally {
    server.close();
  }
}

const ERROR_LINE = /^(?:\[CRL path\] )?error (\d+) at (\d+) depth lookup: (.*)$/;

export function parseVerifyOutput(
  result: { code: number; stdout: string; stderr: string },
  texts: Map<number, string>,
): OpensslRun {
  const errors: Array<[number, number]> = [];
  for (const line of `${result.stderr}\n${result.stdout}`.split('\n')) {
    const m = ERROR_LINE.exec(line.trim());
    if (m) {
      errors.push([Number(m[1]), Number(m[2])]);
      texts.set(Number(m[1]), m[3]!);
    }
  }
  const ok = result.code === 0 && /: OK\s*$/m.test(result.stdout) && errors.length === 0;
  if (!ok && errors.length === 0) {
    return { ok: false, errors, loadError: (result.stderr || result.stdout).trim().split('\n')[0] ?? 'unknown failure' };
  }
  return { ok, errors };
}

function commandFor(c: DifferentialCase, withHostname: boolean, hasUntrusted: boolean): string[] {
  const args = ['verify', '-purpose', 'sslserver', '-auth_level', String(c.seclevel), '-verify_depth', String(c.depth)];
  args.push('-attime', String(Math.floor(Date.parse(c.at) / 1000)));
  if (withHostname && c.hostname !== undefined) args.push('-verify_hostname', c.hostname);
  args.push('-CAfile', 'trusted.pem', '-no-CApath', '-no-CAstore');
  if (hasUntrusted) args.push('-untrusted', 'chain.pem');
  args.push('leaf.pem');
  return args;
}

async function verdictFor(
  c: DifferentialCase,
  texts: Map<number, string>,
  leafInUntrusted: boolean,
  withTls = false,
): Promise<OpensslVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'tlsdoctor-diff-'));
  try {
    const untrusted = leafInUntrusted ? [c.leaf, ...c.untrusted] : c.untrusted;
    await writeFile(join(dir, 'trusted.pem'), c.trusted.join(''));
    await writeFile(join(dir, 'leaf.pem'), c.leaf);
    if (untrusted.length > 0) await writeFile(join(dir, 'chain.pem'), untrusted.join(''));
    const full = parseVerifyOutput(await run(commandFor(c, true, untrusted.length > 0), dir), texts);
    const tlsRun = withTls ? { tls: await tlsRunFor(c, dir) } : {};
    if (c.hostname === undefined) return { ...full, ...tlsRun };
    const chain = parseVerifyOutput(await run(commandFor(c, false, untrusted.length > 0), dir), texts);
    return { ...full, chain, ...tlsRun };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
      if ((i + 1) % 200 === 0) process.stderr.write(`  ${i + 1}/${items.length}\n`);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

async function main(argv: string[]): Promise<number> {
  const verdictsOnly = argv.includes('--verdicts-only');
  const compareLeafInUntrusted = argv.includes('--compare-leaf-in-untrusted');
  const withTls = !argv.includes('--no-tls') && !verdictsOnly;
  const parity = argv.includes('--parity');
  const casesFile = parity ? PARITY_CASES_FILE : CASES_FILE;
  const verdictsFile = parity ? PARITY_VERDICTS_FILE : VERDICTS_FILE;
  let cases: DifferentialCase[];
  let casesSha256: string;
  const started = Date.now();
  if (verdictsOnly) {
    ({ cases, sha256: casesSha256 } = readCases(casesFile));
    process.stderr.write(`read ${cases.length} cases\n`);
  } else {
    cases = parity ? generateParityCases() : generateCases();
    casesSha256 = parity
      ? writeCases(cases, casesFile, 'test/differential/generate-parity-cases.ts')
      : writeCases(cases, casesFile);
    process.stderr.write(`generated ${cases.length} cases in ${Date.now() - started} ms\n`);
  }
  const version = (await run(['version'], tmpdir())).stdout.trim();
  const texts = new Map<number, string>();
  const verdictStart = Date.now();
  const verdicts = await mapLimited(cases, CONCURRENCY, (c) => verdictFor(c, texts, false, withTls));
  if (verdictsOnly) {
    // No private keys in cases.json.gz: keep the TLS verdicts recorded when these very cases were generated.
    const previous = existsSync(verdictsFile) ? readVerdicts(verdictsFile) : undefined;
    if (previous?.casesSha256 === casesSha256) {
      cases.forEach((c, i) => {
        const tlsRun = previous.verdicts[c.id]?.tls;
        if (tlsRun) verdicts[i] = { ...verdicts[i]!, tls: tlsRun };
      });
    }
  }
  process.stderr.write(`openssl verdicts in ${Date.now() - verdictStart} ms\n`);

  const file: VerdictFile = {
    schemaVersion: 1,
    openssl: version,
    command:
      'openssl verify -purpose sslserver -auth_level <seclevel> -verify_depth <depth> -attime <epoch> [-verify_hostname <hostname>] -CAfile trusted.pem -no-CApath -no-CAstore [-untrusted chain.pem] leaf.pem; chain: the same without -verify_hostname; tls: openssl s_client -showcerts -CAfile trusted.pem -no-CApath -no-CAstore -purpose sslserver -verify_depth <depth> -attime <epoch> -cipher ALL:@SECLEVEL=<seclevel> against a node:tls server sending leaf + chain',
    casesSha256,
    errorTexts: Object.fromEntries([...texts.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
    verdicts: Object.fromEntries(cases.map((c, i) => [c.id, verdicts[i]!])),
  };
  writeVerdicts(file, verdictsFile);
  const ok = verdicts.filter((v) => v.ok).length;
  const loadErrors = verdicts.filter((v) => v.loadError).length;
  process.stderr.write(`${cases.length} cases: ${ok} ok, ${cases.length - ok} rejected, ${loadErrors} load errors\n`);
  if (withTls) {
    const unobserved = verdicts.filter((v) => v.tls && !v.tls.observed);
    process.stderr.write(`tls: ${cases.length - unobserved.length} observed, ${unobserved.length} not observable\n`);
    const reasons = new Map<string, number>();
    for (const v of unobserved) if (v.tls && !v.tls.observed) reasons.set(v.tls.reason, (reasons.get(v.tls.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) process.stderr.write(`  ${n}: ${reason}\n`);
  }

  if (compareLeafInUntrusted) {
    const nginxStyle = await mapLimited(cases, CONCURRENCY, (c) => verdictFor(c, new Map(), true));
    const withoutTls = (v: OpensslVerdict): string => JSON.stringify({ ...v, tls: undefined });
    const differ = cases.filter((c, i) => withoutTls(nginxStyle[i]!) !== withoutTls(verdicts[i]!));
    process.stderr.write(`leaf prepended to -untrusted changes ${differ.length} verdicts\n`);
    for (const c of differ) {
      const i = cases.indexOf(c);
      process.stderr.write(`  ${c.id}: ${JSON.stringify(verdicts[i])} -> ${JSON.stringify(nginxStyle[i])}\n`);
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
