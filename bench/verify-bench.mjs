// Issues 4 and 15: verify speed. (1) verdicts per second of the library call (verifyChain, and the whole diagnose())
// on a 3-certificate chain (leaf + intermediate sent, root in the bundle) against a 150-root bundle, in one
// process; (2) one `tlsdoctor verify` command next to `openssl verify` on the same files, with one root and with
// the system CA bundle (plus the test root, so that both verify), wall and CPU time, and the cost of one more root.
// Target (issue 15): tlsdoctor verify with the system bundle <= 3x openssl verify's wall time; `node -e 0` (Node's
// own start-up, most of tlsdoctor's time) is shown next to it. Run after `npm run build` (npm install does it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { compareWithCpu, PKI, ROOT, timeCommand } from './lib.mjs';

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

// --- the command, next to openssl verify ---------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-'));
try {
  const rootPem = readFileSync(`${PKI}root.pem`, 'utf8');
  const system = existsSync('/etc/ssl/certs/ca-certificates.crt') ? readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') : rootCertificates.join('\n');
  const bundles = {
    one: { file: `${PKI}root.pem`, n: 1 },
    fixture: { file: `${PKI}bundle-150-roots.pem`, n: readCertificateBlobs(readFileSync(`${PKI}bundle-150-roots.pem`), 'b').ders.length },
    system: { file: join(dir, 'system-and-test-root.pem'), n: 0 },
  };
  writeFileSync(bundles.system.file, `${system}\n${rootPem}`);
  bundles.system.n = readCertificateBlobs(readFileSync(bundles.system.file), 'b').ders.length;
  writeFileSync(join(dir, 'chain.pem'), readFileSync(`${PKI}leaf.pem`, 'utf8') + readFileSync(`${PKI}int1.pem`, 'utf8'));

  // The code cache of bin/tlsdoctor in a directory of its own, warmed by one run (what every run after a user's first sees).
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
  const openssl = (b) => ({ cmd: 'openssl', args: ['verify', '-purpose', 'sslserver', '-auth_level', '2', '-verify_depth', '1', '-verify_hostname', 'upstream.test', '-CAfile', b.file, '-no-CApath', '-no-CAstore', '-untrusted', `${PKI}int1.pem`, `${PKI}leaf.pem`] });
  const tlsdoctor = (b) => ({ cmd: process.execPath, args: [`${ROOT}bin/tlsdoctor`, 'verify', '--chain', join(dir, 'chain.pem'), '--ca', b.file, '--proxy-ssl-name', 'upstream.test'], opts: { env } });
  timeCommand(tlsdoctor(bundles.one).cmd, tlsdoctor(bundles.one).args, tlsdoctor(bundles.one).opts);

  const RUNS = Number(process.env.BENCH_RUNS ?? 21);
  const rows = [
    ['node -e 0', { cmd: process.execPath, args: ['-e', '0'] }],
    ['openssl verify, 1 root', openssl(bundles.one)],
    [`openssl verify, ${bundles.fixture.n} roots (fixture)`, openssl(bundles.fixture)],
    [`openssl verify, ${bundles.system.n} roots (system)`, openssl(bundles.system)],
    ['tlsdoctor verify, 1 root', tlsdoctor(bundles.one)],
    [`tlsdoctor verify, ${bundles.fixture.n} roots (fixture)`, tlsdoctor(bundles.fixture)],
    [`tlsdoctor verify, ${bundles.system.n} roots (system)`, tlsdoctor(bundles.system)],
  ];
  const r = compareWithCpu(rows.map(([, c]) => c), RUNS);
  const [node, o1, oF, oS, t1, tF, tS] = r;
  const failed = rows.filter((_, i) => i > 0 && r[i].statuses.some((s) => s !== 0)).map(([label]) => label);
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`verify (command): medians of ${RUNS} interleaved runs; load average ${loadavg().map((l) => f(l, 2)).join(' ')} on ${cpus().length} CPUs`);
  console.log(`  ${'command'.padEnd(44)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)}  (cpu = user+sys)`);
  rows.forEach(([label], i) => console.log(`  ${label.padEnd(44)} ${f(r[i].ms).padStart(8)} ${f(r[i].cpuMs).padStart(8)}`));
  const perRoot = (one, many, n) => ({ ms: (many.ms - one.ms) / (n - 1), cpuMs: (many.cpuMs - one.cpuMs) / (n - 1) });
  const po = perRoot(o1, oS, bundles.system.n);
  const pt = perRoot(t1, tS, bundles.system.n);
  console.log(`  per root (system bundle - 1 root) / ${bundles.system.n - 1}: openssl ${f(po.ms, 3)} ms wall, ${f(po.cpuMs, 3)} ms cpu; tlsdoctor ${f(pt.ms, 3)} ms wall, ${f(pt.cpuMs, 3)} ms cpu; ratio ${f(pt.cpuMs / po.cpuMs, 1)} (cpu)`);
  console.log(
    `  ratio tlsdoctor / openssl: 1 root ${f(t1.ms / o1.ms, 2)} wall, ${f(t1.cpuMs / o1.cpuMs, 2)} cpu; ` +
      `system bundle ${f(tS.ms / oS.ms, 2)} wall (target <= 3), ${f(tS.cpuMs / oS.cpuMs, 2)} cpu; ` +
      `fixture bundle ${f(tF.ms / oF.ms, 2)} wall`,
  );
  console.log(
    `  node -e 0 alone / openssl verify (system bundle): ${f(node.ms / oS.ms, 2)} wall, ${f(node.cpuMs / oS.cpuMs, 2)} cpu; ` +
      `tlsdoctor beyond node -e 0: ${f(tS.ms - node.ms)} ms wall, ${f(tS.cpuMs - node.cpuMs)} ms cpu`,
  );
  if (failed.length > 0) console.log(`  WARNING: non-zero exit status from: ${failed.join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
