// `tlsdoctor serve` under Prometheus-like load, next to a blackbox-style bare exporter (bench/bare-exporter.mjs:
// an HTTP server doing one bare tls.connect per scrape) measured in the same run. Run after `npm run build`.
//
// Each run starts a fresh exporter process, sends SCRAPES scrapes of /probe?target=127.0.0.1:PORT (cycling over
// UPSTREAMS healthy loopback upstreams in another process) from SCRAPE_CONCURRENCY keep-alive connections, then
// reads the exporter's /proc/PID/status: VmRSS after the scrapes (what a long-running exporter keeps) and VmHWM
// (its peak). Wall time is the median of BENCH_RUNS alternated runs (the machine may be loaded: see the load
// average printed); memory figures are the largest over the runs. Env: BENCH_RUNS (3), SCRAPES (5000),
// SCRAPE_CONCURRENCY (16), UPSTREAMS (50), BARE_NODE_FLAGS (node options for the bare exporter only, e.g.
// "--max-semi-space-size=4 --heap-growing-percent=50": the heap sizing tlsdoctor sets for itself, src/cli/fleet-heap.ts).
// Where Prometheus' blackbox_exporter is installed (bench/lib.mjs startBlackbox), it is measured the same way, with
// its CPU time too: the exporter Prometheus users run for this, a Go program.
import { spawn } from 'node:child_process';
import { blackboxBinary, forkUpstreams, keepAliveGetter, loadText, median, PKI, processCpuMs, processMemory, ROOT, startBlackbox } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SCRAPES = Number(process.env.SCRAPES ?? 5000);
const C = Number(process.env.SCRAPE_CONCURRENCY ?? 16);
const UP = Number(process.env.UPSTREAMS ?? 50);

/** Start an exporter process; resolves with its pid, the URL of one probe, what a success looks like, and a stop function. */
async function startExporter(kind) {
  if (kind === 'blackbox') {
    const b = await startBlackbox();
    return { ...b, success: /^probe_success 1$/m };
  }
  const args =
    kind === 'tlsdoctor'
      ? // --nginx-version 1.28.0: offer TLS 1.3 like the bare exporter, whatever nginx this machine has.
        [`${ROOT}bin/tlsdoctor`, 'serve', '--listen', '127.0.0.1:0', '--ca', `${PKI}root.pem`, '--proxy-ssl-name', 'localhost', '--nginx-version', '1.28.0']
      : [`${ROOT}bench/bare-exporter.mjs`];
  const flags = kind === 'bare' ? (process.env.BARE_NODE_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...flags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d) => {
      text += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) {
        resolve({
          pid: child.pid,
          probeUrl: (port) => `${m[1]}/probe?target=127.0.0.1:${port}`,
          success: kind === 'tlsdoctor' ? /tlsdoctor_check_status\{[^}]*status="OK"\} 1/ : /probe_success 1/,
          stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${kind} exporter exited (${code}): ${text}`)));
  });
}

async function scrapeRun(kind, ports) {
  const exporter = await startExporter(kind);
  const { get, close } = keepAliveGetter(C);
  try {
    const before = processMemory(exporter.pid);
    const cpuBefore = processCpuMs(exporter.pid);
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < SCRAPES) {
          const port = ports[next++ % ports.length];
          const r = await get(exporter.probeUrl(port));
          if (r.status !== 200 || !exporter.success.test(r.body)) failed++;
        }
      }),
    );
    const ms = performance.now() - t0;
    return { name: exporter.name, ms, failed, startMiB: before.rssMiB, cpuMs: processCpuMs(exporter.pid) - cpuBefore, ...processMemory(exporter.pid) };
  } finally {
    close();
    await exporter.stop();
  }
}

const { ports, stop } = await forkUpstreams(UP);
try {
  const blackbox = blackboxBinary() !== undefined;
  const kinds = ['bare', 'tlsdoctor', ...(blackbox ? ['blackbox'] : [])];
  await scrapeRun('bare', ports.slice(0, 5)); // warm-up: page cache, the upstream process' JIT
  const runs = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const kind of kinds) runs[kind].push(await scrapeRun(kind, ports));
  const fig = (kind) => {
    const r = runs[kind];
    return {
      ms: median(r.map((x) => x.ms)),
      cpuMs: median(r.map((x) => x.cpuMs)),
      startMiB: Math.max(...r.map((x) => x.startMiB)),
      rssMiB: Math.max(...r.map((x) => x.rssMiB)),
      hwmMiB: Math.max(...r.map((x) => x.hwmMiB)),
      failed: r.reduce((n, x) => n + x.failed, 0),
    };
  };
  const b = fig('bare');
  const t = fig('tlsdoctor');
  const line = (name, f) =>
    `  ${name.padEnd(22)} ${f.ms.toFixed(0)} ms  ${((SCRAPES / f.ms) * 1000).toFixed(0)} scrapes/s  cpu ${(f.cpuMs / SCRAPES).toFixed(2)} ms/scrape  RSS at start ${f.startMiB.toFixed(1)} MiB, after ${f.rssMiB.toFixed(1)} MiB, peak ${f.hwmMiB.toFixed(1)} MiB${f.failed ? `  WARNING: ${f.failed} failed scrapes` : ''}`;
  const ratios = (name, r) =>
    `  ratios tlsdoctor / ${name}: wall ${(t.ms / r.ms).toFixed(2)}, cpu ${(t.cpuMs / r.cpuMs).toFixed(2)}, RSS after ${(t.rssMiB / r.rssMiB).toFixed(2)}, peak RSS ${(t.hwmMiB / r.hwmMiB).toFixed(2)}`;
  console.log(`serve: ${SCRAPES} scrapes, concurrency ${C}, ${UP} loopback upstreams (median wall of ${RUNS}, largest RSS; load average ${loadText()}):`);
  console.log(line(`bare node:tls exporter${process.env.BARE_NODE_FLAGS ? ` (node ${process.env.BARE_NODE_FLAGS})` : ''}`, b));
  if (blackbox) console.log(line('blackbox_exporter', fig('blackbox')));
  console.log(line('tlsdoctor serve', t));
  console.log(`${ratios('bare', b)} (target: RSS after 5,000 scrapes < 60 MiB)`);
  if (blackbox) console.log(ratios(runs.blackbox[0].name, fig('blackbox')));
  else console.log('  (no blackbox_exporter installed: apt-get install prometheus-blackbox-exporter adds it to this comparison)');
} finally {
  stop();
}
