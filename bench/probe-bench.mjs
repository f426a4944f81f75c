// Issue 2: median wall time of `tlsdoctor probe` on a loopback upstream next to a bare node:tls script.
// Target (issue 15): ratio <= 1.15 with the code cache warm (bin/tlsdoctor); also shown without it. Run after `npm run build` (npm install does it).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, ROOT, PKI, timeCommand } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
// --nginx-version 1.28.0: offer TLS 1.3 like the bare script does, whatever nginx this machine has (a local
// nginx 1.22 would make tlsdoctor model TLS 1.2 only, a different handshake).

// The upstream runs in another process so that its CPU time is not on the measuring process's event loop.
const child = fork(new URL('./upstream-process.mjs', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => child.once('message', resolve));
try {
  const probeArgs = [`${ROOT}bin/tlsdoctor`, 'probe', `127.0.0.1:${port}`, '--ca', `${PKI}root.pem`, '--proxy-ssl-name', 'upstream.test', '--nginx-version', '1.28.0'];
  // A cache of its own, warmed by one run before timing (what every run after a user's first one sees).
  const cacheHome = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-'));
  const warm = { env: { ...process.env, XDG_CACHE_HOME: cacheHome } };
  timeCommand(process.execPath, probeArgs, warm);
  const [bare, probe, cold] = compare(
    [
      { cmd: process.execPath, args: [`${ROOT}bench/bare-tls.mjs`, '127.0.0.1', String(port)] },
      { cmd: process.execPath, args: probeArgs, opts: warm },
      { cmd: process.execPath, args: probeArgs, opts: { env: { ...process.env, TLSDOCTOR_CODE_CACHE: 'off' } } },
    ],
    RUNS,
  );
  rmSync(cacheHome, { recursive: true, force: true });
  console.log(`probe: bare node:tls script ${bare.toFixed(1)} ms, tlsdoctor probe ${probe.toFixed(1)} ms (median of ${RUNS}), ratio ${(probe / bare).toFixed(2)} (target <= 1.15)`);
  console.log(`probe without the code cache (TLSDOCTOR_CODE_CACHE=off): ${cold.toFixed(1)} ms, ratio ${(cold / bare).toFixed(2)}`);
  await aiaProbe();
} finally {
  child.kill();
}

// The common outage: the server omits its intermediate, and the probe fetches it from the leaf's AIA URL (loopback
// HTTP) before it can show the path. Its cost beyond a healthy probe: loading undici's HTTP client, the request,
// and the end of the run (src/fetch/undici-pieces.ts, src/cli/v8-flags.ts).
async function aiaProbe() {
  const aia = fork(new URL('./aia-upstream.mjs', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const up = await new Promise((resolve) => aia.once('message', resolve));
    if (up.skipped) return console.log(`probe with an AIA fetch: skipped (${up.skipped})`);
    const cacheHome = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-'));
    const opts = { env: { ...process.env, XDG_CACHE_HOME: cacheHome } };
    const args = [`${ROOT}bin/tlsdoctor`, 'probe', `127.0.0.1:${up.port}`, '--ca', up.root, '--proxy-ssl-name', 'aia.test', '--nginx-version', '1.28.0'];
    const first = timeCommand(process.execPath, args, opts);
    if (!/fetched via AIA/.test(first.stdout)) throw new Error(`the AIA probe did not fetch: ${first.stdout}${first.stderr}`);
    const [aiaMs] = compare([{ cmd: process.execPath, args, opts }], RUNS);
    rmSync(cacheHome, { recursive: true, force: true });
    console.log(`probe of a server that omits its intermediate, fetched from its AIA URL (loopback HTTP): ${aiaMs.toFixed(1)} ms (median of ${RUNS})`);
  } finally {
    aia.kill();
  }
}
