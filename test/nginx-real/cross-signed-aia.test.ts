/**
 * Issue 12, "AIA pointing at either copy": the upstream sends its leaf alone, and the leaf's AIA caIssuers URL
 * serves one of the two copies of the cross-signed issuing CA (interOld under Old R1, interNew under New R2).
 * tlsdoctor probe fetches that copy (nginx never does: OpenSSL's X509_verify_cert uses only the peer's chain and
 * proxy_ssl_trusted_certificate) and builds its fix from it. Real nginx judges every combination:
 * tlsdoctor's status and log line equal nginx's with the user's bundle; the fix as written by --out (upstream-ssl.conf
 * included as is, naming the trusted-ca.pem written next to it) and every listed alternative turn 502 into 200;
 * no proposed bundle holds a root older than the user's unless --allow-root-change.
 *
 * One leaf for every combination: the AIA server answers with the copy (and encoding) the combination names, so
 * the probes run one after the other. One nginx serves every check (one location each), so the test costs one start.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import type { FixPlan } from '../../src/remediation/types.js';
import { CROSS_HOST, makeCrossPki, pemsOf, type CrossName, type CrossPki } from '../chain/helpers/cross-pki.js';
import { checkExternal } from '../helpers/externals.js';
import { comparableLine, MATRIX_SKIP_NOTE, matrixBuilds, nginxBuildInfo, nginxUnavailableReason, parseErrorLog, startNginx, type NginxBuild } from '../helpers/nginx.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping cross-signed AIA real-nginx test: ${unavailable}`);
// The other builds TLSDOCTOR_NGINX_BUILDS names (Debian's is the default below), each probed with its own version.
const otherBuilds = unavailable ? [] : matrixBuilds().filter((b) => b.version !== nginxBuildInfo().version);
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

interface Combo {
  id: string;
  /** The copy of the issuing CA the AIA URL serves, and how (DER as CAs serve it, RFC 5280 §4.2.2.1; or PEM). */
  aia: 'interOld' | 'interNew';
  format: 'der' | 'pem';
  bundle: CrossName[];
  pool: CrossName[];
  allowRootChange?: boolean;
}

const COMBOS: Combo[] = [
  { id: 'aia-new/new', aia: 'interNew', format: 'der', bundle: ['newRoot'], pool: [] },
  { id: 'aia-new-pem/new', aia: 'interNew', format: 'pem', bundle: ['newRoot'], pool: [] },
  { id: 'aia-old/new', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: [] },
  { id: 'aia-old/new/pool-interNew', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['interNew'] },
  { id: 'aia-old/new/pool-oldRoot', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['oldRoot'] },
  { id: 'aia-old/new/pool-oldRoot/allow', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['oldRoot'], allowRootChange: true },
  { id: 'aia-old/new/allow', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: [], allowRootChange: true },
  { id: 'aia-new/both', aia: 'interNew', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: [] },
  { id: 'aia-old/both', aia: 'interOld', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: [] },
  { id: 'aia-old/both/pool-interNew', aia: 'interOld', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: ['interNew'] },
  { id: 'aia-new/old', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: [] },
  { id: 'aia-new/old/pool-newRoot', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: ['newRoot'] },
  { id: 'aia-new/old/pool-interOld', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: ['interOld'] },
];

const AIA_PATH = '/issuing-ca';

let pki: CrossPki;
let dir: string;
let aiaServer: http.Server;
let aiaUrl: string;
/** What the AIA URL answers right now, and the requests it got. */
let serving: { name: CrossName; format: 'der' | 'pem' } = { name: 'interNew', format: 'der' };
let aiaHits: string[] = [];
const servers = new Map<string, { port: number; server: tls.Server }>();
const bySha = new Map<string, string>();

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

async function serverFor(pems: string): Promise<number> {
  const hit = servers.get(pems);
  if (hit) return hit.port;
  const server = tls.createServer({ cert: pems, key: pki.leafKeyPem }, (s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n'));
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  servers.set(pems, { port, server });
  return port;
}

function fakeIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '', stdoutIsTTY: false, stderrIsTTY: false, now: () => new Date(), cwd: process.cwd(), env: {} };
}

interface Probed {
  combo: Combo;
  n: number;
  port: number;
  status: number;
  error: string | null;
  plan: FixPlan;
  fetched: { url: string; ok: boolean; detail: string }[];
  hits: string[];
  outDir: string;
}

async function probeCombo(c: Combo, n: number, leafPort: number, version = nginxBuildInfo().version): Promise<Probed> {
  const ca = join(dir, `ca-${n}.pem`);
  writeFileSync(ca, pemsOf(pki, c.bundle));
  const outDir = join(dir, `out-${version}-${n}`);
  const argv = ['probe', `127.0.0.1:${leafPort}`, '--json', '--out', outDir, '--ca', ca, '--proxy-ssl-name', CROSS_HOST, '--nginx-version', version];
  if (c.pool.length) {
    const pool = join(dir, `pool-${n}.pem`);
    writeFileSync(pool, pemsOf(pki, c.pool));
    argv.push('--intermediates', pool);
  }
  if (c.allowRootChange) argv.push('--allow-root-change');
  serving = { name: c.aia, format: c.format };
  aiaHits = [];
  const io = fakeIO();
  const code = await main(argv, io);
  expect(code, `${c.id}: ${io.err.join('')}`).not.toBe(2);
  const doc = JSON.parse(io.out.join(''));
  return { combo: c, n, port: leafPort, status: doc.nginx.status, error: doc.nginx.error, plan: doc.fix, fetched: doc.fetched, hits: aiaHits, outDir };
}

const pemOfShas = (shas: string[]): string => shas.map((s) => bySha.get(s)!).join('');

describe.skipIf(!!unavailable)('cross-signed chains, AIA pointing at either copy, through real nginx', () => {
  const probed: Probed[] = [];

  beforeAll(async () => {
    aiaServer = http.createServer((req, res) => {
      aiaHits.push(req.url ?? '');
      if (req.url !== AIA_PATH) {
        res.writeHead(404);
        return void res.end();
      }
      const issued = pki[serving.name];
      if (serving.format === 'pem') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end(issued.pem);
      } else {
        res.writeHead(200, { 'content-type': 'application/pkix-cert' });
        res.end(Buffer.from(issued.cert.der));
      }
    });
    aiaUrl = `http://127.0.0.1:${await listen(aiaServer)}${AIA_PATH}`;
    pki = await makeCrossPki(new Date(), { tag: 'nginx-aia', aiaUrl });
    for (const [, v] of Object.entries(pki)) if (typeof v === 'object' && 'cert' in v) bySha.set(v.cert.sha256, v.pem);
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-cross-aia-'));
    const leafPort = await serverFor(pemsOf(pki, ['leaf']));
    for (const [n, c] of COMBOS.entries()) probed.push(await probeCombo(c, n, leafPort));
  }, 60_000);
  afterAll(async () => {
    for (const { server } of servers.values()) server.close();
    aiaServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sha = (n: CrossName): string => pki[n].cert.sha256;
  const byId = (id: string): Probed => probed.find((p) => p.combo.id === id)!;
  const trustOf = (p: Probed): string[] => p.plan.trust.map((t) => t.sha256).sort();
  const shasOf = (names: CrossName[]): string[] => names.map(sha).sort();
  const fileNames = (p: Probed): string[] => p.plan.files.map((f) => f.name);

  it('tlsdoctor fetched the copy the AIA URL serves (DER and PEM), and says so in fetched[]', () => {
    for (const p of probed) {
      if (p.combo.pool.some((n) => n === 'interNew' || n === 'interOld')) {
        // The pool completes a path to the user's root: the diagnosis is anchored, nothing is fetched.
        expect(p.hits, p.combo.id).toEqual([]);
        expect(p.fetched, p.combo.id).toEqual([]);
        continue;
      }
      expect(p.hits, p.combo.id).toEqual([AIA_PATH]);
      expect(p.fetched, p.combo.id).toHaveLength(1);
      expect(p.fetched[0], p.combo.id).toMatchObject({ url: aiaUrl, ok: true });
      // The body as served (DER, or PEM), parsed into the one copy it holds.
      const served = pki[p.combo.aia];
      const bytes = p.combo.format === 'pem' ? Buffer.byteLength(served.pem) : served.cert.der.length;
      expect(p.fetched[0].detail, p.combo.id).toBe(`1 certificate(s), ${bytes} bytes: ${served.cert.subject}`);
    }
  });

  it('AIA serves the new-signed copy, bundle = new root: the fetched copy goes into trusted-ca.pem', () => {
    for (const id of ['aia-new/new', 'aia-new-pem/new']) {
      const p = byId(id);
      expect(p.status, id).toBe(502);
      // 21, not 20: nginx's ngx_ssl_verify_callback returns 1, so OpenSSL goes on after build_chain's 20 to
      // internal_verify, which sets 21 for a lone untrusted leaf; ngx_http_upstream_ssl_handshake_handler logs that
      // last error (SSL_get_verify_result). `openssl s_client -verify_return_error` stops at the 20.
      expect(p.error, id).toBe('upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
      expect(trustOf(p), id).toEqual(shasOf(['newRoot', 'interNew']));
      expect(p.plan.trust.find((t) => t.role === 'intermediate')?.origin, id).toBe(`fetched via AIA from ${aiaUrl}`);
      expect(p.plan.verified, id).toBe(true);
      expect(fileNames(p), id).toEqual(expect.arrayContaining(['trusted-ca.pem', 'upstream-ssl.conf']));
      // The durable fix, upstream side: send the intermediate; proven with the user's bundle as it is.
      expect(p.plan.alternatives?.map((a) => [a.side, a.sent]), id).toContainEqual(['upstream', [sha('leaf'), sha('interNew')]]);
    }
  });

  it('AIA serves the old-signed copy, bundle = new root: the old root is never proposed unasked', () => {
    // Old R1 is known nowhere: no root to anchor on, the plan says which one is missing and writes no bundle.
    for (const id of ['aia-old/new', 'aia-old/new/allow']) {
      const p = byId(id);
      expect(p.status, id).toBe(502);
      expect(p.plan.trust, id).toEqual([]);
      expect(fileNames(p), id).not.toContain('trusted-ca.pem');
      expect(p.plan.verified, id).toBe(false);
      expect(p.plan.manual?.join(' '), id).toMatch(/issued by "O=tlsdoctor cross,CN=Old Root R1"/);
    }
    // With the new-signed copy in --intermediates, the path to the user's root is found and proposed.
    const inter = byId('aia-old/new/pool-interNew');
    expect(trustOf(inter)).toEqual(shasOf(['newRoot', 'interNew']));
    expect(inter.plan.verified).toBe(true);
    // With the old root in --intermediates: the only working path ends at Old R1, older than the user's New R2.
    const pool = byId('aia-old/new/pool-oldRoot');
    expect(pool.plan.notProposed?.join(' ')).toMatch(/"O=tlsdoctor cross,CN=Old Root R1".*--allow-root-change/);
    expect(pool.plan.trust.map((t) => t.sha256)).not.toContain(sha('oldRoot'));
    expect(fileNames(pool)).not.toContain('trusted-ca.pem');
    expect(pool.plan.verified).toBe(false);
    // ...and the manual step names the way out that keeps the user's root: the copy of the issuing CA it signed.
    expect(pool.plan.manual?.join(' ')).toMatch(/get the copy of "O=tlsdoctor cross,CN=Issuing CA" issued by your root.*--allow-root-change/);
    expect((pool.plan.alternatives ?? []).filter((a) => a.bundle.includes(sha('oldRoot')))).toEqual([]);
    // Asked for (--allow-root-change): the old-root path is the fix.
    const allowed = byId('aia-old/new/pool-oldRoot/allow');
    expect(trustOf(allowed)).toEqual(shasOf(['oldRoot', 'interOld']));
    expect(allowed.plan.verified).toBe(true);
    expect(allowed.plan.notProposed ?? []).toEqual([]);
  });

  it('bundle = both roots: the newest root when a path to it is known, the other root the user trusts otherwise', () => {
    expect(trustOf(byId('aia-new/both'))).toEqual(shasOf(['newRoot', 'interNew']));
    expect(trustOf(byId('aia-old/both/pool-interNew'))).toEqual(shasOf(['newRoot', 'interNew']));
    // Only interOld is known: Old R1 is the one root this chain reaches, and the user trusts it.
    const old = byId('aia-old/both');
    expect(trustOf(old)).toEqual(shasOf(['oldRoot', 'interOld']));
    expect(old.plan.verified).toBe(true);
  });

  it('AIA serves the new-signed copy, bundle = old root: New R2 is missing, nothing is proposed', () => {
    const p = byId('aia-new/old');
    expect(p.status).toBe(502);
    expect(p.plan.trust).toEqual([]);
    expect(p.plan.alternatives ?? []).toEqual([]);
    expect(p.plan.manual?.join(' ')).toMatch(/issued by "O=tlsdoctor cross,CN=New Root R2"/);
    // Given the new root (--intermediates), the fix moves the user forward to it: newer than Old R1, so allowed.
    const forward = byId('aia-new/old/pool-newRoot');
    expect(trustOf(forward)).toEqual(shasOf(['newRoot', 'interNew']));
    expect(forward.plan.trust.find((t) => t.role === 'root')?.newlyTrusted).toBe(true);
    expect(forward.plan.verified).toBe(true);
    // Given the old-signed copy instead, the user's own root is kept (a root you trust comes first).
    expect(trustOf(byId('aia-new/old/pool-interOld'))).toEqual(shasOf(['oldRoot', 'interOld']));
  });

  /** Every combination through one nginx (Debian's by default): verdicts, the fixes as written, the alternatives. */
  async function proveThroughNginx(probed: Probed[], build?: NginxBuild): Promise<void> {
    const version = build?.version ?? nginxBuildInfo().version;
      const files: Record<string, string> = {};
      const locations: { path: string; port: number; lines: string[]; kind: 'before' | 'fix' | 'alt'; p: Probed; what: string }[] = [];
      for (const p of probed) {
        const n = p.n;
        files[`before-${n}.pem`] = pemsOf(pki, p.combo.bundle);
        locations.push({ path: `/b${n}`, port: p.port, kind: 'before', p, what: 'before', lines: ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate before-${n}.pem`, `proxy_ssl_name ${CROSS_HOST}`] });
        // What --out wrote is what the JSON says, and never a key.
        for (const f of p.plan.files) {
          const written = readFileSync(join(p.outDir, f.name), 'utf8');
          expect(written, `${p.combo.id} ${f.name}`).toBe(f.content);
          expect(written, `${p.combo.id} ${f.name}`).not.toMatch(/PRIVATE KEY/);
        }
        if (fileNames(p).includes('upstream-ssl.conf')) {
          // The snippet as written, naming the trusted-ca.pem written next to it (absolute path).
          locations.push({ path: `/f${n}`, port: p.port, kind: 'fix', p, what: 'fix', lines: [`include ${join(p.outDir, 'upstream-ssl.conf')}`] });
        }
        for (const [j, a] of (p.plan.alternatives ?? []).entries()) {
          files[`alt-${n}-${j}.pem`] = pemOfShas(a.bundle);
          const port = a.side === 'upstream' ? await serverFor(pemOfShas(a.sent)) : p.port;
          locations.push({ path: `/a${n}-${j}`, port, kind: 'alt', p, what: a.summary, lines: ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate alt-${n}-${j}.pem`, `proxy_ssl_name ${CROSS_HOST}`, `proxy_ssl_verify_depth ${a.depth}`] });
        }
      }
      const body = `    server {\n        listen 127.0.0.1:__PORT__;\n${locations
        .map((l) => `        location = ${l.path} {\n            proxy_pass https://127.0.0.1:${l.port}/;\n${l.lines.map((x) => `            ${x};\n`).join('')}        }\n`)
        .join('')}    }`;
      const nginx = await startNginx({ config: body, files, ...(build ? { bin: build.bin } : {}) });
      const failures: string[] = [];
      const tally = { match: 0, fixes: 0, alts: 0 };
      try {
        for (const l of locations) {
          const { status } = await nginx.request(l.path);
          const line = parseErrorLog(nginx.takeErrorLog().join('\n'), 'error')[0]?.message ?? null;
          if (l.kind === 'before') {
            if (status === l.p.status && (status === 200 || (line !== null && l.p.error !== null && comparableLine(version, line) === comparableLine(version, l.p.error)))) tally.match++;
            else failures.push(`${l.p.combo.id}: nginx ${status} ${line}; tlsdoctor ${l.p.status} ${l.p.error}`);
          } else if (l.kind === 'fix' && l.p.plan.verified !== true) {
            // A plan that does not claim to work must indeed not work.
            if (status !== 502) failures.push(`${l.p.combo.id}: unverified fix answered ${status}`);
          } else if (status === 200) tally[l.kind === 'fix' ? 'fixes' : 'alts']++;
          else failures.push(`${l.p.combo.id} ${l.kind} "${l.what}": nginx ${status} ${line}`);
        }
      } finally {
        await nginx.stop();
      }
      const proven = probed.filter((p) => p.plan.verified === true);
      console.log(
        `cross-signed AIA, nginx ${version}: ${probed.length} combinations, verdict+line match ${tally.match}/${probed.length}; ` +
          `${tally.fixes}/${proven.length} proven fixes 502→200; ${tally.alts}/${locations.filter((l) => l.kind === 'alt').length} alternatives 200`,
      );
      expect(failures).toEqual([]);
      expect(tally.fixes).toBe(proven.length);

      // Conservative: without --allow-root-change, no proposed bundle holds the old root when the user trusts only the new one.
      for (const p of probed.filter((x) => !x.combo.bundle.includes('oldRoot') && !x.combo.allowRootChange)) {
        expect(p.plan.trust.map((t) => t.sha256), p.combo.id).not.toContain(sha('oldRoot'));
        for (const a of p.plan.alternatives ?? []) expect(a.bundle, `${p.combo.id}: ${a.summary}`).not.toContain(sha('oldRoot'));
      }
  }

  it('verdicts match nginx; every fix as written by --out and every alternative turns 502 into 200', async () => {
    await proveThroughNginx(probed);
  }, 120_000);

  it.each(otherBuilds.map((b) => [b.label, b] as [string, NginxBuild]))('nginx %s: the same, probed as that version', async (_label, build) => {
    const leafPort = await serverFor(pemsOf(pki, ['leaf']));
    const asBuild: Probed[] = [];
    for (const [n, c] of COMBOS.entries()) asBuild.push(await probeCombo(c, n, leafPort, build.version));
    await proveThroughNginx(asBuild, build);
  }, 120_000);
});
