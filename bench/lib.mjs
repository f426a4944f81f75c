// Helpers shared by the bench scripts: timing child processes, medians, loopback upstreams from the fixtures.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

export function startHealthyUpstream() {
  const pem = (f) => readFileSync(PKI + f, 'utf8');
  const server = tls.createServer({ cert: pem('leaf.pem') + pem('int1.pem'), key: pem('leaf.key.pem') }, (s) => {
    s.on('error', () => {});
    // Answers the one request `probe` sends after the handshake, as an HTTP upstream does; a bare handshake
    // (the bare script, `check`) is closed by the client.
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  });
  server.on('tlsClientError', () => {});
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() })));
}
