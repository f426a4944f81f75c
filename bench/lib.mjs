// Helpers shared by the bench scripts: timing child processes, medians, loopback upstreams from the fixtures.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PKI = `${ROOT}certs-fixtures/pki/`;

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time of one command in ms (spawnSync: includes process start-up, as a user sees it). */
export function timeCommand(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Alternate the commands `runs` times each (so drift hits both equally); return the median of each. */
export function compare(commands, runs) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    commands.forEach((c, j) => times[j].push(timeCommand(c.cmd, c.args, c.opts).ms));
  }
  return times.map(median);
}

// bash times the command itself: wall from $EPOCHREALTIME around it (bash's own start-up excluded), CPU from its
// `times` builtin (getrusage(RUSAGE_CHILDREN): user+sys of the command and its children, ms resolution).
const TIMED = 's=$EPOCHREALTIME; "$@" >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME; echo "$rc $s $e"; times';
const seconds = (t) => t.split(/m|s/).slice(0, 2).reduce((m, x) => Number(m) * 60 + Number(x));

/** Wall and CPU (user+sys) time of one command in ms, and its exit status; output discarded. Needs bash 5. */
export function timeWithCpu(cmd, args, opts = {}) {
  const r = spawnSync('bash', ['-c', TIMED, 'bench', cmd, ...args], { encoding: 'utf8', ...opts });
  const [head, , children] = r.stdout.trim().split('\n');
  const [status, start, end] = head.split(' ').map(Number);
  const [user, sys] = children.trim().split(' ').map(seconds);
  return { status, ms: (end - start) * 1000, cpuMs: (user + sys) * 1000 };
}

/** compare() with CPU time: the median wall and CPU time of each command over `runs` interleaved runs. */
export function compareWithCpu(commands, runs) {
  const runsOf = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((c, j) => runsOf[j].push(timeWithCpu(c.cmd, c.args, c.opts)));
  return runsOf.map((r) => ({ ms: median(r.map((x) => x.ms)), cpuMs: median(r.map((x) => x.cpuMs)), statuses: [...new Set(r.map((x) => x.status))] }));
}

export function startHealthyUpstream() {
  const pem = (f) => readFileSync(PKI + f, 'utf8');
  const server = tls.createServer({ cert: pem('leaf.pem') + pem('int1.pem'), key: pem('leaf.key.pem') }, (s) => {
    s.on('error', () => {});
    // Answers the one request `probe` sends after the handshake, as an HTTP upstream does; a bare handshake
    // (the bare script, `check`) is closed by the client.
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  });
  server.on('tlsClientError', () => {});
  // Backlog 511 (nginx's default): a bench at concurrency 32 must not measure SYN retransmits.
  return new Promise((resolve) => server.listen(0, '127.0.0.1', 511, () => resolve({ port: server.address().port, close: () => server.close() })));
}

/** `n` healthy upstreams in a child process (bench/upstream-process.mjs): their ports, and a stop function. */
export async function forkUpstreams(n) {
  const child = fork(new URL('./upstream-process.mjs', import.meta.url), [String(n)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ports = await new Promise((resolve) => child.once('message', resolve));
  return { ports, stop: () => child.kill() };
}

/** Resident and peak resident memory of a live process, in MiB (Linux /proc/PID/status VmRSS and VmHWM). */
export function processMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** The load averages (1, 5, 15 min), as `uptime` prints them: wall times are only comparable at similar load. */
export function loadText() {
  return loadavg().map((x) => x.toFixed(2)).join(', ');
}

/**
 * Prometheus' blackbox_exporter, where one is installed (Debian: `apt-get install prometheus-blackbox-exporter`;
 * BLACKBOX_EXPORTER names another binary), started on loopback with one module, `tls`: the tcp prober with
 * `tls: true`, verifying against the fixture root with the leaf's name, as `check`/`serve` do. Resolves with its
 * pid, the URL of a probe (`probeUrl(port)`) and a stop function, or null when no binary is found.
 */
export async function startBlackbox() {
  const bin = blackboxBinary();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-blackbox-'));
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, ['modules:', '  tls:', '    prober: tcp', '    timeout: 10s', '    tcp:', '      tls: true', '      preferred_ip_protocol: ip4', '      tls_config:', `        ca_file: ${PKI}root.pem`, '        server_name: localhost', ''].join('\n'));
  const port = await freePort();
  const child = spawn(bin, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 100) throw new Error(`${bin} did not start: ${log.slice(-500)}`);
    if (await fetch(`${base}/-/healthy`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const version = /version (\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? '';
  return {
    name: `blackbox_exporter ${version}`.trim(),
    pid: child.pid,
    probeUrl: (target) => `${base}/probe?module=tls&target=127.0.0.1:${target}`,
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => (rmSync(dir, { recursive: true, force: true }), done()));
        child.kill('SIGTERM');
      }),
  };
}

/** The blackbox_exporter binary startBlackbox() would run, or undefined when none is installed. */
export function blackboxBinary() {
  const candidates = [process.env.BLACKBOX_EXPORTER, 'prometheus-blackbox-exporter', 'blackbox_exporter'].filter(Boolean);
  return candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** GET over keep-alive connections, at most `maxSockets` at a time: `get(url)` resolves with { status, body }. */
export function keepAliveGetter(maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const get = (url) =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        })
        .on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

/** CPU time (user + system) a live process has used so far, in ms (Linux /proc/PID/stat, clock ticks of 10 ms). */
export function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
