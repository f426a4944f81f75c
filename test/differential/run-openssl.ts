/**
 * Generates the differential cases, writes test/differential/cases.json.gz, asks `openssl verify` about each case and
 * writes test/differential/openssl-verdicts.json. Both files are committed; differential.test.ts never spawns OpenSSL.
 *
 *   node --import tsx test/differential/run-openssl.ts                 # regenerate cases + verdicts
 *   node --import tsx test/differential/run-openssl.ts --verdicts-only # keep cases.json.gz, re-ask OpenSSL
 *   node --import tsx test/differential/run-openssl.ts --verdicts-only --compare-leaf-in-untrusted
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
 * `--compare-leaf-in-untrusted` also runs each case with the leaf prepended to `-untrusted`, which is what libssl
 * passes (ssl_verify_cert_chain: X509_STORE_CTX_init(ctx, store, leaf, whole peer chain)), and lists any case where
 * that changes the verdict.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCases, writeCases, writeVerdicts, type OpensslRun, type OpensslVerdict, type VerdictFile } from './case-file.js';
import { generateCases, type DifferentialCase } from './generate-cases.js';

const CONCURRENCY = 2;

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
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

async function verdictFor(c: DifferentialCase, texts: Map<number, string>, leafInUntrusted: boolean): Promise<OpensslVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'tlsdoctor-diff-'));
  try {
    const untrusted = leafInUntrusted ? [c.leaf, ...c.untrusted] : c.untrusted;
    await writeFile(join(dir, 'trusted.pem'), c.trusted.join(''));
    await writeFile(join(dir, 'leaf.pem'), c.leaf);
    if (untrusted.length > 0) await writeFile(join(dir, 'chain.pem'), untrusted.join(''));
    const full = parseVerifyOutput(await run(commandFor(c, true, untrusted.length > 0), dir), texts);
    if (c.hostname === undefined) return full;
    const chain = parseVerifyOutput(await run(commandFor(c, false, untrusted.length > 0), dir), texts);
    return { ...full, chain };
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
  let cases: DifferentialCase[];
  let casesSha256: string;
  const started = Date.now();
  if (verdictsOnly) {
    ({ cases, sha256: casesSha256 } = readCases());
    process.stderr.write(`read ${cases.length} cases\n`);
  } else {
    cases = generateCases();
    casesSha256 = writeCases(cases);
    process.stderr.write(`generated ${cases.length} cases in ${Date.now() - started} ms\n`);
  }
  const version = (await run(['version'], tmpdir())).stdout.trim();
  const texts = new Map<number, string>();
  const verdictStart = Date.now();
  const verdicts = await mapLimited(cases, CONCURRENCY, (c) => verdictFor(c, texts, false));
  process.stderr.write(`openssl verdicts in ${Date.now() - verdictStart} ms\n`);

  const file: VerdictFile = {
    schemaVersion: 1,
    openssl: version,
    command:
      'openssl verify -purpose sslserver -auth_level <seclevel> -verify_depth <depth> -attime <epoch> [-verify_hostname <hostname>] -CAfile trusted.pem -no-CApath -no-CAstore [-untrusted chain.pem] leaf.pem; chain: the same without -verify_hostname',
    casesSha256,
    errorTexts: Object.fromEntries([...texts.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
    verdicts: Object.fromEntries(cases.map((c, i) => [c.id, verdicts[i]!])),
  };
  writeVerdicts(file);
  const ok = verdicts.filter((v) => v.ok).length;
  const loadErrors = verdicts.filter((v) => v.loadError).length;
  process.stderr.write(`${cases.length} cases: ${ok} ok, ${cases.length - ok} rejected, ${loadErrors} load errors\n`);

  if (compareLeafInUntrusted) {
    const nginxStyle = await mapLimited(cases, CONCURRENCY, (c) => verdictFor(c, new Map(), true));
    const differ = cases.filter((c, i) => JSON.stringify(nginxStyle[i]) !== JSON.stringify(verdicts[i]));
    process.stderr.write(`leaf prepended to -untrusted changes ${differ.length} verdicts\n`);
    for (const c of differ) {
      const i = cases.indexOf(c);
      process.stderr.write(`  ${c.id}: ${JSON.stringify(verdicts[i])} -> ${JSON.stringify(nginxStyle[i])}\n`);
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
