// `npm run bench`: every benchmark, one after the other; each prints its own figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const scripts = ['probe-bench.mjs', 'verify-bench.mjs', 'check-bench.mjs', 'serve-bench.mjs', 'nginx-config-bench.mjs'];
let failed = 0;
for (const s of scripts) {
  const path = new URL(`./${s}`, import.meta.url);
  if (!existsSync(path)) continue;
  console.log(`== ${s}`);
  const r = spawnSync(process.execPath, [path.pathname], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
