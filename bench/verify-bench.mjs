// Issue 4: verify speed. (1) verdicts per second of the library call (verifyChain, and the whole diagnose())
// on a 3-certificate chain (leaf + intermediate sent, root in the bundle) against a 150-root bundle, in one
// process; (2) wall time of one `tlsdoctor verify` command next to `openssl verify` on the same files.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, PKI, ROOT } from './lib.mjs';

const { parseCertificate } = await import(`${ROOT}dist/certs/parse.js`);
const { readCertificateBlobs } = await import(`${ROOT}dist/certs/load.js`);
const { verifyChain } = await import(`${ROOT}dist/chain/verify.js`);
const { diagnose } = await import(`${ROOT}dist/diagnosis/diagnose.js`);
const { defaultSettings } = await import(`${ROOT}dist/nginx/defaults.js`);

const certs = (file) => readCertificateBlobs(readFileSync(PKI + file), file).ders.map((d) => parseCertificate(d));
const bundle = certs('bundle-150-roots.pem');
const [leaf] = certs('leaf.pem');
const [int1] = certs('int1.pem');
const at = new Date('2026-06-01T00:00:00Z');

function rate(fn) {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

const params = { sent: [leaf, int1], trusted: bundle, at, depth: 1, seclevel: 2 };
if (!verifyChain(params).ok) throw new Error('bench chain does not verify');
const verifyRate = rate(() => verifyChain(params));
const settings = { ...defaultSettings('127.0.0.1'), proxySslName: 'upstream.test' };
const observation = { host: '', port: 0, sni: null, offeredProtocols: settings.proxySslProtocols, outcome: 'handshake', sentChain: [leaf.der, int1.der], clientCertRequested: false, acceptableCaNames: [], clientCertSent: false, timings: { totalMs: 0 } };
const diagnoseRate = rate(() => diagnose({ observation, sent: [leaf, int1], trusted: bundle, trustSource: 'bundle', settings, at }));
console.log(`verify (library): verifyChain ${Math.round(verifyRate).toLocaleString('en')} verdicts/s, full diagnose() ${Math.round(diagnoseRate).toLocaleString('en')}/s (3-cert chain, ${bundle.length}-cert bundle)`);

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-'));
writeFileSync(join(dir, 'chain.pem'), readFileSync(PKI + 'leaf.pem', 'utf8') + readFileSync(PKI + 'int1.pem', 'utf8'));
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const [openssl, tlsdoctor] = compare(
  [
    { cmd: 'openssl', args: ['verify', '-purpose', 'sslserver', '-auth_level', '2', '-verify_depth', '1', '-verify_hostname', 'upstream.test', '-CAfile', `${PKI}bundle-150-roots.pem`, '-no-CApath', '-no-CAstore', '-untrusted', `${PKI}int1.pem`, `${PKI}leaf.pem`] },
    { cmd: process.execPath, args: [`${ROOT}bin/tlsdoctor`, 'verify', '--chain', join(dir, 'chain.pem'), '--ca', `${PKI}bundle-150-roots.pem`, '--proxy-ssl-name', 'upstream.test'] },
  ],
  RUNS,
);
console.log(`verify (command): openssl verify ${openssl.toFixed(1)} ms, tlsdoctor verify ${tlsdoctor.toFixed(1)} ms (median of ${RUNS}), ratio ${(tlsdoctor / openssl).toFixed(2)}`);
