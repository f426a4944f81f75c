// Issue 5: `tlsdoctor check` at fleet scale. Run after `npm run build`: node bench/check-bench.mjs
//
// 1. check over 1,000 loopback targets next to a minimal node:tls connect loop with the same concurrency:
//    wall times (median of BENCH_RUNS, alternated), ratio (target <= 1.2), handshakes/s, client CPU per target,
//    peak RSS of each; plus tlsdoctor's probe() alone, to tell the handshake layer's cost from the check's.
// 2. check over 10,000 targets next to the same loop over 10,000: wall time, handshakes/s and peak RSS of each, and
//    their ratios (targets: peak RSS < 150 MiB; README "Speed").
//
// Upstreams: UPSTREAMS healthy node:tls servers (the fixture chain) in ONE separate process, so that their CPU is
// not on the measuring process; targets cycle over them (1,000 targets = 50 servers x 20). Each client run is a
// fresh child process that reports its own wall time (from the first connection to the last result, rendering
// included for check), CPU time and peak RSS (getrusage maxrss). Env: BENCH_RUNS (3), BENCH_TARGETS (1000),
// BENCH_BIG (10000), BENCH_CONCURRENCY (32), UPSTREAMS (50), BARE_NODE_FLAGS (node options for the connect loop only,
// e.g. "--max-semi-space-size=4 --heap-growing-percent=50": the heap sizing check sets for itself, src/cli/fleet-heap.ts).
// Where Prometheus' blackbox_exporter is installed (bench/lib.mjs startBlackbox), the same 1,000 targets go through
// its /probe at the same concurrency: its wall time, CPU per target and peak RSS are printed next to check's.
import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { keepAliveGetter, loadText, median, PKI, processCpuMs, processMemory, ROOT, startBlackbox } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const mode = process.argv[2];

function usage() {
  const u = process.resourceUsage();
  return { cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMB: u.maxRSS / 1024 };
}

if (mode === '--upstreams') {
  // Child: N healthy upstreams; sends their ports to the parent.
  const n = Number(process.argv[3]);
  const pem = (f) => readFileSync(PKI + f, 'utf8');
  const opts = { cert: pem('leaf.pem') + pem('int1.pem'), key: pem('leaf.key.pem') };
  const ports = [];
  for (let i = 0; i < n; i++) {
    const server = tls.createServer(opts, (s) => {
      s.on('error', () => {});
      s.end();
    });
    server.on('tlsClientError', () => {});
    server.on('error', () => {});
    await new Promise((r) => server.listen(0, '127.0.0.1', 511, r));
    ports.push(server.address().port);
  }
  process.send(ports);
  process.on('disconnect', () => process.exit(0));
} else if (mode === '--baseline') {
  // Child: the least a script can do per target: connect, complete the handshake, close. Same concurrency.
  const [targets, concurrency] = [JSON.parse(process.argv[3]), Number(process.argv[4])];
  const list = expand(targets);
  let next = 0;
  let ok = 0;
  const one = (port) =>
    new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        if (s.getPeerCertificate().subject) ok++;
        s.destroy();
        resolve();
      });
      s.setTimeout(5000, () => s.destroy());
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) await one(list[next++]);
    }),
  );
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, ok, total: list.length, ...usage() }));
} else if (mode === '--probe-loop') {
  // Child: tlsdoctor's probe() alone (src/probe, the wire-capturing handshake), no diagnosis: splits the cost.
  const [targets, concurrency] = [JSON.parse(process.argv[3]), Number(process.argv[4])];
  const { probe } = await import(`${ROOT}dist/probe/probe.js`);
  const list = expand(targets);
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const o = await probe({ host: '127.0.0.1', port: list[next++], protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 10_000 });
        if (o.outcome === 'handshake') ok++;
      }
    }),
  );
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, ok, total: list.length, ...usage() }));
} else if (mode === '--check') {
  // Child: `tlsdoctor check - --json` in-process, targets on "stdin", output counted and dropped.
  const [targets, concurrency] = [JSON.parse(process.argv[3]), Number(process.argv[4])];
  const { main } = await import(`${ROOT}dist/cli/main.js`);
  const list = expand(targets);
  let outBytes = 0;
  const io = {
    stdout: (t) => {
      outBytes += t.length;
    },
    stderr: (t) => process.stderr.write(t),
    readStdin: async () => list.map((p) => `127.0.0.1:${p}`).join('\n') + '\n',
    stdoutIsTTY: false,
    stderrIsTTY: false,
    now: () => new Date(),
    cwd: ROOT,
    env: {},
  };
  const args = ['check', '-', '--ca', `${PKI}root.pem`, '--proxy-ssl-name', 'localhost', '--concurrency', String(concurrency), '--timeout', '10s', '--format', 'prometheus',
    // Model a current nginx (TLS 1.3 offered) like the baseline loop, whatever nginx this machine has.
    '--nginx-version', '1.28.0'];
  const t0 = performance.now();
  const code = await main(args, io); // 0 = every target OK
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, code, outBytes, total: list.length, ...usage() }));
} else {
  await parent();
}

/** `[ports, n]` → n ports cycling over `ports`. */
function expand([ports, n]) {
  return Array.from({ length: n }, (_, i) => ports[i % ports.length]);
}

/** The targets through blackbox_exporter's /probe, `concurrency` at a time; null when none is installed. */
async function blackboxRun(targets, concurrency) {
  const bb = await startBlackbox();
  if (!bb) return null;
  const { get, close } = keepAliveGetter(concurrency);
  try {
    const list = expand(targets);
    let next = 0;
    let ok = 0;
    const cpu0 = processCpuMs(bb.pid);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < list.length) if (/^probe_success 1$/m.test((await get(bb.probeUrl(list[next++]))).body)) ok++;
      }),
    );
    const ms = performance.now() - t0;
    return { name: bb.name, ms, ok, total: list.length, cpuMs: processCpuMs(bb.pid) - cpu0, maxRssMB: processMemory(bb.pid).hwmMiB };
  } finally {
    close();
    await bb.stop();
  }
}

function runChild(args) {
  const flags = args[0] === '--baseline' ? (process.env.BARE_NODE_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', ...flags, SELF, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !r.stdout.trim()) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop();
  return JSON.parse(last);
}

async function parent() {
  const RUNS = Number(process.env.BENCH_RUNS ?? 3);
  const N = Number(process.env.BENCH_TARGETS ?? 1000);
  const BIG = Number(process.env.BENCH_BIG ?? 10_000);
  const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const UP = Number(process.env.UPSTREAMS ?? 50);

  const upstreams = fork(SELF, ['--upstreams', String(UP)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ports = await new Promise((resolve) => upstreams.once('message', resolve));
  try {
    // Warm-up (page cache, the upstream process' JIT).
    runChild(['--baseline', JSON.stringify([ports, 200]), String(C)]);
    runChild(['--check', JSON.stringify([ports, 200]), String(C)]);

    const base = [];
    const probes = [];
    const check = [];
    const blackbox = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(runChild(['--baseline', JSON.stringify([ports, N]), String(C)]));
      probes.push(runChild(['--probe-loop', JSON.stringify([ports, N]), String(C)]));
      check.push(runChild(['--check', JSON.stringify([ports, N]), String(C)]));
      const bb = await blackboxRun([ports, N], C);
      if (bb) blackbox.push(bb);
    }
    const failed = check.filter((r) => r.code !== 0).length + [...base, ...probes].filter((r) => r.ok !== r.total).length;
    const pMs = median(probes.map((r) => r.ms));
    const bMs = median(base.map((r) => r.ms));
    const cMs = median(check.map((r) => r.ms));
    const bRss = Math.max(...base.map((r) => r.maxRssMB));
    const cRss = Math.max(...check.map((r) => r.maxRssMB));
    const fmt = (x, d = 0) => x.toFixed(d);
    const row = (name, ms, n, runs) =>
      `  ${name} ${fmt(ms)} ms  ${fmt((n / ms) * 1000)} handshakes/s  cpu ${fmt(median(runs.map((r) => r.cpuMs)) / n, 2)} ms/target  peak RSS ${fmt(Math.max(...runs.map((r) => r.maxRssMB)), 1)} MiB`;
    console.log(`check over ${N} loopback targets (${UP} upstreams, concurrency ${C}, median of ${RUNS}, largest peak RSS; load average ${loadText()}):`);
    console.log(row('node:tls connect loop      ', bMs, N, base));
    console.log(row('probe() loop (no diagnosis)', pMs, N, probes));
    console.log(row('tlsdoctor check            ', cMs, N, check));
    if (blackbox.length > 0) console.log(`${row('blackbox_exporter /probe  ', median(blackbox.map((r) => r.ms)), N, blackbox)}${blackbox.some((r) => r.ok !== r.total) ? '  WARNING: failed probes' : ''}`);
    console.log(`  ratios check / loop: wall ${(cMs / bMs).toFixed(2)} (target <= 1.2), peak RSS ${(cRss / bRss).toFixed(2)}${failed ? `  WARNING: ${failed} runs with failures` : ''}`);
    if (blackbox.length > 0) {
      const bbMs = median(blackbox.map((r) => r.ms));
      console.log(`  ratios check / ${blackbox[0].name}: wall ${(cMs / bbMs).toFixed(2)}, cpu ${(median(check.map((r) => r.cpuMs)) / median(blackbox.map((r) => r.cpuMs))).toFixed(2)}, peak RSS ${(cRss / Math.max(...blackbox.map((r) => r.maxRssMB))).toFixed(2)}`);
    } else console.log('  (no blackbox_exporter installed: apt-get install prometheus-blackbox-exporter adds it to this comparison)');

    // One run each at fleet size: the peak RSS is what matters here (not load-sensitive), wall time is indicative.
    const bigBase = runChild(['--baseline', JSON.stringify([ports, BIG]), String(C)]);
    const big = runChild(['--check', JSON.stringify([ports, BIG]), String(C)]);
    console.log(`check over ${BIG} targets (one run each; load average ${loadText()}):`);
    console.log(row('node:tls connect loop      ', bigBase.ms, BIG, [bigBase]));
    console.log(`${row('tlsdoctor check            ', big.ms, BIG, [big])} (target < 150 MiB), exit ${big.code}, ${fmt(big.outBytes / 1e6, 1)} MB of output`);
    console.log(`  ratios check / loop: wall ${(big.ms / bigBase.ms).toFixed(2)}, peak RSS ${(big.maxRssMB / bigBase.maxRssMB).toFixed(2)}${bigBase.ok !== BIG ? '  WARNING: loop failures' : ''}`);
  } finally {
    upstreams.kill();
  }
}
