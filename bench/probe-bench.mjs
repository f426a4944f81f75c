// Issue 2: median wall time of `tlsdoctor probe` on a loopback upstream next to a bare node:tls script.
// Target: ratio <= 1.5. Run after `npm run build` (npm install does it).
import { fork } from 'node:child_process';
import { compare, ROOT, PKI } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
// --nginx-version 1.28.0: offer TLS 1.3 like the bare script does, whatever nginx this machine has (a local
// nginx 1.22 would make tlsdoctor model TLS 1.2 only, a different handshake).

// The upstream runs in another process so that its CPU time is not on the measuring process's event loop.
const child = fork(new URL('./upstream-process.mjs', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => child.once('message', resolve));
try {
  const [bare, probe] = compare(
    [
      { cmd: process.execPath, args: [`${ROOT}bench/bare-tls.mjs`, '127.0.0.1', String(port)] },
      { cmd: process.execPath, args: [`${ROOT}bin/tlsdoctor`, 'probe', `127.0.0.1:${port}`, '--ca', `${PKI}root.pem`, '--proxy-ssl-name', 'upstream.test', '--nginx-version', '1.28.0'] },
    ],
    RUNS,
  );
  console.log(`probe: bare node:tls script ${bare.toFixed(1)} ms, tlsdoctor probe ${probe.toFixed(1)} ms (median of ${RUNS}), ratio ${(probe / bare).toFixed(2)} (target <= 1.5)`);
} finally {
  child.kill();
}
