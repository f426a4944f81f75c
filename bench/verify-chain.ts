/**
 * verifyChain speed: a 3-certificate chain (leaf + intermediate sent, root in the bundle) against a
 * 150-certificate trust bundle, after parsing. Target: well under 1 ms per call.
 *
 *   node --import tsx bench/verify-chain.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '../src/certs/parse.js';
import { verifyChain } from '../src/chain/verify.js';
import type { Cert } from '../src/certs/cert.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-verify-'));
const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
const derOf = (file: string) => {
  const pem = readFileSync(join(dir, file), 'utf8');
  return new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
};

try {
  // One real chain made with the OpenSSL CLI (P-256, SHA-256).
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n');
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:bench.test\nextendedKeyUsage=serverAuth\n');
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/CN=Bench Root', '-days', '3650', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=Bench Intermediate');
  ossl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '2', '-out', 'int.pem', '-days', '3650', '-extfile', 'ca.ext');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=bench.test');
  ossl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-set_serial', '3', '-out', 'leaf.pem', '-days', '365', '-extfile', 'leaf.ext');
  // 149 unrelated self-signed roots to fill the bundle.
  const bundle: Cert[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 149; i++) {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'x.key', '-out', `r${i}.pem`, '-subj', `/O=Bench/CN=Other Root ${i}`, '-days', '3650');
  }
  const genMs = performance.now() - t0;
  const parseStart = performance.now();
  for (let i = 0; i < 149; i++) bundle.push(parseCertificate(derOf(`r${i}.pem`)));
  const root = parseCertificate(derOf('root.pem'));
  bundle.splice(75, 0, root);
  const inter = parseCertificate(derOf('int.pem'));
  const leaf = parseCertificate(derOf('leaf.pem'));
  const parseMs = performance.now() - parseStart;

  const params = { sent: [leaf, inter], trusted: bundle, at: new Date(), depth: 1, seclevel: 2, hostname: 'bench.test' };
  const c0 = performance.now();
  const first = verifyChain(params);
  const coldMs = performance.now() - c0;
  if (!first.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(first.errors)}`);
  const N = 5000;
  const w0 = performance.now();
  for (let i = 0; i < N; i++) verifyChain(params);
  const warmUs = ((performance.now() - w0) / N) * 1000;
  // A fresh bundle array each call: the trust store index is rebuilt (still parse-once).
  const F = 500;
  const f0 = performance.now();
  for (let i = 0; i < F; i++) verifyChain({ ...params, trusted: bundle.slice() });
  const freshUs = ((performance.now() - f0) / F) * 1000;
  console.log(`generated 149 roots in ${genMs.toFixed(0)} ms (openssl CLI)`);
  console.log(`parseCertificate: ${((parseMs / 152) * 1000).toFixed(0)} µs per certificate`);
  console.log(`verifyChain 3-cert chain vs 150-cert bundle: first call ${coldMs.toFixed(2)} ms (signature checks, index), ` +
    `then ${warmUs.toFixed(1)} µs per call; with a new bundle array each call ${freshUs.toFixed(1)} µs`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
