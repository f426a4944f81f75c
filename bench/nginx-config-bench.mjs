// Issue 13: `tlsdoctor check --nginx-config` at fleet scale. Run after `npm run build`: node bench/nginx-config-bench.mjs
//
// A generated nginx.conf with N locations, each proxying to its own name `uI.bench` that a loopback DNS server
// (test/helpers/dns-server.ts, through tsx) resolves to 127.0.0.2 and 127.0.0.3: every upstream is two addresses,
// as nginx uses them. UPSTREAMS healthy node:tls servers per address (the fixture chain) run in ONE separate
// process; names cycle over their ports.
// 1. check --nginx-config over N upstreams (2N handshakes) next to a bare node loop doing the same work at the
//    same concurrency (resolve the name at the same DNS server, handshake with both addresses): wall time (median
//    of BENCH_RUNS, alternated), peak RSS of each.
// 2. check --nginx-config over BIG/2 upstreams = BIG addresses: peak RSS (target < 200 MB) and wall time.
// Env: BENCH_RUNS (3), BENCH_UPSTREAMS (1000), BENCH_BIG (10000 addresses), BENCH_CONCURRENCY (32), UPSTREAMS (50).
import { fork, spawnSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { median, PKI, ROOT } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const mode = process.argv[2];
const ADDRESSES = ['127.0.0.2', '127.0.0.3'];

function usage() {
  const u = process.resourceUsage();
  return { cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMB: u.maxRSS / 1024 };
}

/** One healthy server on `host:port` (port 0: any). */
function listen(host, port) {
  const pem = (f) => readFileSync(PKI + f, 'utf8');
  const server = tls.createServer({ cert: pem('leaf.pem') + pem('int1.pem'), key: pem('leaf.key.pem') }, (s) => {
    s.on('error', () => {});
    s.end();
  });
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, 511, () => resolve(server.address().port));
  });
}

if (mode === '--upstreams') {
  // Child (run with tsx): the servers on both addresses, and the DNS server for names u0.bench ... u(M-1).bench.
  const [n, names] = [Number(process.argv[3]), Number(process.argv[4])];
  const ports = [];
  while (ports.length < n) {
    const port = await listen(ADDRESSES[0], 0);
    // The same port on the second address; rarely taken, then try another.
    try {
      await listen(ADDRESSES[1], port);
      ports.push(port);
    } catch {
      /* next */
    }
  }
  const { startDnsServer } = await import(`${ROOT}test/helpers/dns-server.ts`);
  const zone = Object.fromEntries(Array.from({ length: names }, (_, i) => [`u${i}.bench`, ADDRESSES]));
  const dns = await startDnsServer(zone);
  process.send({ ports, dns: dns.address });
  process.on('disconnect', () => process.exit(0));
} else if (mode === '--baseline') {
  // Child: the same work without tlsdoctor: resolve each name at the DNS server, handshake with every address.
  const [dnsAddress, ports, n, concurrency] = [process.argv[3], JSON.parse(process.argv[4]), Number(process.argv[5]), Number(process.argv[6])];
  const resolver = new Resolver({ timeout: 5000, tries: 1 });
  resolver.setServers([dnsAddress]);
  const handshake = (host, port) =>
    new Promise((resolve) => {
      const s = tls.connect({ host, port, servername: 'localhost', rejectUnauthorized: false }, () => {
        const ok = !!s.getPeerCertificate().subject;
        s.destroy();
        resolve(ok);
      });
      s.setTimeout(10_000, () => s.destroy());
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(false));
    });
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const addresses = await resolver.resolve4(`u${i}.bench`);
        const results = await Promise.all(addresses.map((a) => handshake(a, ports[i % ports.length])));
        ok += results.filter(Boolean).length;
      }
    }),
  );
  console.log(JSON.stringify({ ms: performance.now() - t0, ok, total: n * ADDRESSES.length, ...usage() }));
} else if (mode === '--check') {
  // Child: `tlsdoctor check --nginx-config FILE --resolver DNS --format prometheus` in-process, output counted.
  const [conf, dnsAddress, concurrency] = [process.argv[3], process.argv[4], process.argv[5]];
  const { main } = await import(`${ROOT}dist/cli/main.js`);
  let outBytes = 0;
  let err = '';
  const io = {
    stdout: (t) => {
      outBytes += t.length;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => '',
    stdoutIsTTY: false,
    stderrIsTTY: false,
    now: () => new Date(),
    cwd: ROOT,
    env: { TLSDOCTOR_NO_LOCAL_NGINX: '1' },
  };
  const args = ['check', '--nginx-config', conf, '--resolver', dnsAddress, '--concurrency', concurrency, '--timeout', '10s', '--format', 'prometheus', '--nginx-version', '1.28.0'];
  const t0 = performance.now();
  const code = await main(args, io); // 0 = every target OK
  const ms = performance.now() - t0;
  if (code !== 0) process.stderr.write(err.slice(0, 2000));
  console.log(JSON.stringify({ ms, code, outBytes, ...usage() }));
} else {
  await parent();
}

/** nginx.conf with `n` locations, one name each, cycling over the upstream ports. */
function writeConfig(dir, n, ports) {
  const locations = Array.from(
    { length: n },
    (_, i) => `    location /u${i}/ {
      proxy_pass https://u${i}.bench:${ports[i % ports.length]};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${PKI}root.pem;
      proxy_ssl_name localhost;
    }`,
  );
  const path = join(dir, `nginx-${n}.conf`);
  writeFileSync(path, `events {}\nhttp {\n  server {\n    listen 8080;\n    server_name bench.example;\n${locations.join('\n')}\n  }\n}\n`);
  return path;
}

function runChild(args, execArgv = []) {
  const r = spawnSync(process.execPath, [...execArgv, '--max-old-space-size=4096', SELF, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !r.stdout.trim()) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function parent() {
  const RUNS = Number(process.env.BENCH_RUNS ?? 3);
  const N = Number(process.env.BENCH_UPSTREAMS ?? 1000);
  const BIG = Number(process.env.BENCH_BIG ?? 10_000);
  const C = String(process.env.BENCH_CONCURRENCY ?? 32);
  const UP = Number(process.env.UPSTREAMS ?? 50);
  const bigUpstreams = Math.ceil(BIG / ADDRESSES.length);

  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-'));
  const upstreams = fork(SELF, ['--upstreams', String(UP), String(Math.max(N, bigUpstreams))], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { ports, dns } = await new Promise((resolve) => upstreams.once('message', resolve));
  try {
    const conf = writeConfig(dir, N, ports);
    // Warm-up (page cache, the upstream process' JIT).
    runChild(['--baseline', dns, JSON.stringify(ports), '200', C]);
    runChild(['--check', writeConfig(dir, 200, ports), dns, C]);
    const base = [];
    const check = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(runChild(['--baseline', dns, JSON.stringify(ports), String(N), C]));
      check.push(runChild(['--check', conf, dns, C]));
    }
    const failed = check.filter((r) => r.code !== 0).length + base.filter((r) => r.ok !== r.total).length;
    const fmt = (x, d = 0) => x.toFixed(d);
    const [bMs, cMs] = [median(base.map((r) => r.ms)), median(check.map((r) => r.ms))];
    const handshakes = N * ADDRESSES.length;
    console.log(`check --nginx-config over ${N} upstreams x ${ADDRESSES.length} addresses (loopback DNS, concurrency ${C}, median of ${RUNS}):`);
    console.log(`  node loop (resolve + handshakes)  ${fmt(bMs)} ms  ${fmt((handshakes / bMs) * 1000)} handshakes/s  peak RSS ${fmt(Math.max(...base.map((r) => r.maxRssMB)))} MB`);
    console.log(`  tlsdoctor check --nginx-config    ${fmt(cMs)} ms  ${fmt((handshakes / cMs) * 1000)} handshakes/s  peak RSS ${fmt(Math.max(...check.map((r) => r.maxRssMB)))} MB`);
    console.log(`  ratio check / loop: ${(cMs / bMs).toFixed(2)}${failed ? `  WARNING: ${failed} runs with failures` : ''}`);
    const big = runChild(['--check', writeConfig(dir, bigUpstreams, ports), dns, C]);
    console.log(
      `check --nginx-config over ${bigUpstreams} upstreams (${bigUpstreams * ADDRESSES.length} addresses): ${fmt(big.ms)} ms, peak RSS ${fmt(big.maxRssMB)} MB (target < 200 MB), exit ${big.code}, ${fmt(big.outBytes / 1e6, 1)} MB of output`,
    );
  } finally {
    upstreams.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
