/**
 * The cross-signed PKI (test/chain/helpers/cross-pki.ts) judged by real nginx, shared by
 * test/nginx-real/cross-signed.test.ts (each sent order/subset × each bundle) and cross-signed-aia.test.ts (a lone leaf
 * whose AIA serves either copy of the issuing CA):
 * - ChainUpstreams: one loopback TLS upstream per chain sent, answering one HTTP 200;
 * - probeCross(): `tlsdoctor probe --json --out DIR --nginx-version V`, as that nginx release;
 * - proveThroughNginx(): every check of every combination through ONE nginx (one location each, so one start per
 *   build): the user's bundle (tlsdoctor's status and first [error] line equal nginx's, compared with
 *   comparableLine), the fix as --out wrote it (upstream-ssl.conf included as is) and every listed alternative.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import type { FixPlan } from '../../src/remediation/types.js';
import { CROSS_HOST, pemsOf, type CrossName, type CrossPki } from '../chain/helpers/cross-pki.js';
import { runCli } from './cli.js';
import { comparableLine, parseErrorLog, startNginx } from './nginx.js';

/** Loopback TLS upstreams serving the PKI's leaf key, one per distinct chain (PEMs, leaf first). */
export class ChainUpstreams {
  private readonly servers = new Map<string, { port: number; server: tls.Server }>();
  constructor(private readonly leafKeyPem: string) {}

  async portFor(pems: string): Promise<number> {
    const hit = this.servers.get(pems);
    if (hit) return hit.port;
    const server = tls.createServer({ cert: pems, key: this.leafKeyPem }, (s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n'));
    });
    server.on('tlsClientError', () => {});
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    this.servers.set(pems, { port, server });
    return port;
  }

  close(): void {
    for (const { server } of this.servers.values()) server.close();
    this.servers.clear();
  }
}

export interface CrossProbeParams {
  id: string;
  /** Index of the combination: names its files. */
  n: number;
  /** The upstream to probe (127.0.0.1). */
  port: number;
  /** The user's proxy_ssl_trusted_certificate (--ca) and --intermediates pool. */
  bundle: CrossName[];
  pool: CrossName[];
  /** The nginx release to predict (--nginx-version). */
  version: string;
  /** Scratch directory (removed by the caller). */
  dir: string;
  /** More probe options (--no-fetch, --allow-root-change). */
  args?: string[];
}

export interface CrossProbed {
  id: string;
  n: number;
  port: number;
  bundle: CrossName[];
  status: number;
  error: string | null;
  plan: FixPlan;
  /** Where --out wrote the fix. */
  outDir: string;
  /** The whole probe JSON document. */
  doc: { fetched: { url: string; ok: boolean; detail: string }[] } & Record<string, unknown>;
}

/** One probe as nginx `version` would judge it, the fix written by --out into a directory of its own. */
export async function probeCross(pki: CrossPki, p: CrossProbeParams): Promise<CrossProbed> {
  const tag = `${p.version}-${p.n}`;
  const ca = join(p.dir, `ca-${tag}.pem`);
  writeFileSync(ca, pemsOf(pki, p.bundle));
  const outDir = join(p.dir, `out-${tag}`);
  const argv = ['probe', `127.0.0.1:${p.port}`, '--json', '--out', outDir, '--ca', ca, '--proxy-ssl-name', CROSS_HOST, '--nginx-version', p.version, ...(p.args ?? [])];
  if (p.pool.length) {
    const pool = join(p.dir, `pool-${tag}.pem`);
    writeFileSync(pool, pemsOf(pki, p.pool));
    argv.push('--intermediates', pool);
  }
  const run = await runCli(argv);
  if (run.code === 2) throw new Error(`${p.id}: tlsdoctor ${argv.join(' ')}: ${run.stderr}`);
  const doc = JSON.parse(run.stdout);
  return { id: p.id, n: p.n, port: p.port, bundle: p.bundle, status: doc.nginx.status, error: doc.nginx.error, plan: doc.fix, outDir, doc };
}

interface Location {
  path: string;
  port: number;
  lines: string[];
  kind: 'before' | 'fix' | 'alt';
  p: CrossProbed;
  what: string;
}

export interface NginxProof {
  /** Combinations where nginx's status and first [error] line equal tlsdoctor's. */
  match: number;
  /** Fixes as written by --out that answer 200, of those the plan says are verified. */
  fixes: number;
  verified: number;
  /** Snippets restating a setup that already works (alreadyOk) that still answer 200, of those written. */
  kept: number;
  alreadyOk: number;
  /** Alternatives that answer 200, of those listed. */
  alts: number;
  altTotal: number;
  /** What did not hold, one line each (empty when all did). */
  failures: string[];
}

/** The --out files must be the JSON's, and never hold a key. */
function checkWrittenFiles(p: CrossProbed, failures: string[]): void {
  for (const f of p.plan.files) {
    const written = readFileSync(join(p.outDir, f.name), 'utf8');
    if (written !== f.content) failures.push(`${p.id}: ${f.name} written differs from the JSON`);
    if (/PRIVATE KEY/.test(written)) failures.push(`${p.id}: ${f.name} holds a private key`);
  }
}

/** One location per check: "before" with the user's bundle, "fix" as --out wrote it, one per alternative. */
async function locationsFor(pki: CrossPki, probed: CrossProbed[], upstreams: ChainUpstreams, files: Record<string, string>): Promise<Location[]> {
  const bySha = new Map<string, string>();
  for (const v of Object.values(pki)) if (typeof v === 'object' && 'cert' in v) bySha.set(v.cert.sha256, v.pem);
  const pemOfShas = (shas: string[]): string => shas.map((s) => bySha.get(s)!).join('');
  const verify = (file: string): string[] => ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${file}`, `proxy_ssl_name ${CROSS_HOST}`];
  const out: Location[] = [];
  for (const p of probed) {
    const n = p.n;
    files[`before-${n}.pem`] = pemsOf(pki, p.bundle);
    out.push({ path: `/b${n}`, port: p.port, kind: 'before', p, what: 'before', lines: verify(`before-${n}.pem`) });
    if (p.plan.files.some((f) => f.name === 'upstream-ssl.conf')) {
      // The snippet as written, naming the trusted-ca.pem written next to it (an absolute path).
      out.push({ path: `/f${n}`, port: p.port, kind: 'fix', p, what: 'fix', lines: [`include ${join(p.outDir, 'upstream-ssl.conf')}`] });
    }
    for (const [j, a] of (p.plan.alternatives ?? []).entries()) {
      files[`alt-${n}-${j}.pem`] = pemOfShas(a.bundle);
      const port = a.side === 'upstream' ? await upstreams.portFor(pemOfShas(a.sent)) : p.port;
      out.push({ path: `/a${n}-${j}`, port, kind: 'alt', p, what: a.summary, lines: [...verify(`alt-${n}-${j}.pem`), `proxy_ssl_verify_depth ${a.depth}`] });
    }
  }
  return out;
}

function configBody(locations: Location[]): string {
  const blocks = locations.map(
    (l) => `        location = ${l.path} {\n            proxy_pass https://127.0.0.1:${l.port}/;\n${l.lines.map((x) => `            ${x};\n`).join('')}        }\n`,
  );
  return `    server {\n        listen 127.0.0.1:__PORT__;\n${blocks.join('')}    }`;
}

/**
 * Every combination through one nginx (`bin`, default Debian's) whose release is `version` (the one the probes were
 * run as). Never throws on a mismatch: the caller asserts `failures` is empty and prints the tally.
 */
export async function proveThroughNginx(params: { pki: CrossPki; probed: CrossProbed[]; upstreams: ChainUpstreams; version: string; bin?: string }): Promise<NginxProof> {
  const { pki, probed, upstreams, version } = params;
  const proof: NginxProof = { match: 0, fixes: 0, verified: 0, kept: 0, alreadyOk: 0, alts: 0, altTotal: 0, failures: [] };
  for (const p of probed) checkWrittenFiles(p, proof.failures);
  const files: Record<string, string> = {};
  const locations = await locationsFor(pki, probed, upstreams, files);
  const nginx = await startNginx({ config: configBody(locations), files, ...(params.bin ? { bin: params.bin } : {}) });
  const same = (a: string | null, b: string | null): boolean => a !== null && b !== null && comparableLine(version, a) === comparableLine(version, b);
  try {
    for (const l of locations) {
      const { status } = await nginx.request(l.path);
      const line = parseErrorLog(nginx.takeErrorLog().join('\n'), 'error')[0]?.message ?? null;
      if (l.kind === 'before') {
        if (status === l.p.status && (status === 200 || same(line, l.p.error))) proof.match++;
        else proof.failures.push(`${l.p.id}: nginx ${status} ${line}; tlsdoctor ${l.p.status} ${l.p.error}`);
        continue;
      }
      if (l.kind === 'fix' && l.p.plan.verified !== true) {
        // Not a claimed fix: a plan that says it does not work (an expired root and no other: the manual step says
        // replace it) must indeed not work; the snippet restating a working setup (alreadyOk) must keep it working.
        const expected = l.p.plan.alreadyOk ? 200 : l.p.plan.verified === false ? 502 : null;
        if (l.p.plan.alreadyOk) proof.alreadyOk++;
        if (expected === 200 && status === 200) proof.kept++;
        else if (expected !== null && status !== expected) proof.failures.push(`${l.p.id}: fix (verified ${l.p.plan.verified}, alreadyOk ${l.p.plan.alreadyOk}) answered ${status}`);
        continue;
      }
      if (l.kind === 'fix') proof.verified++;
      else proof.altTotal++;
      if (status === 200) proof[l.kind === 'fix' ? 'fixes' : 'alts']++;
      else proof.failures.push(`${l.p.id} ${l.kind} "${l.what}": nginx ${status} ${line}`);
    }
  } finally {
    await nginx.stop();
  }
  // Every plan that says it works was put through nginx (no verified plan without the snippet to include).
  const claimed = probed.filter((p) => p.plan.verified === true).length;
  if (claimed !== proof.verified) proof.failures.push(`${claimed} plans claim a verified fix, ${proof.verified} were put through nginx`);
  return proof;
}

/** `cross-signed, nginx 1.18.0: 23 combinations, verdict+line match 23/23; 6/6 proven fixes 502→200; 3/3 alternatives 200; 10/10 working setups kept 200` */
export function proofLine(what: string, label: string, combos: number, proof: NginxProof): string {
  return (
    `${what}, nginx ${label}: ${combos} combinations, verdict+line match ${proof.match}/${combos}; ` +
    `${proof.fixes}/${proof.verified} proven fixes 502→200; ${proof.alts}/${proof.altTotal} alternatives 200; ` +
    `${proof.kept}/${proof.alreadyOk} working setups kept 200`
  );
}

/** SHA-256s of the proposed bundle and of every alternative's bundle that are among `shas` (should be none). */
export function proposedAmong(probed: CrossProbed, shas: string[]): string[] {
  const proposed = [...probed.plan.trust.map((t) => t.sha256), ...(probed.plan.alternatives ?? []).flatMap((a) => a.bundle)];
  return proposed.filter((s) => shas.includes(s));
}
