// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: one file for start-up plus lazily loaded
// chunks. Measured: loading ~60 separate ES modules cost ~60 ms of start-up, which a one-second outage tool and
// `npm run bench` (probe vs a bare node:tls script, target ratio <= 1.5) cannot afford.
// Heavy libraries stay external and are imported lazily where needed (PKCS#7, AIA fetching).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start from an empty directory so stale chunks never pile up.
rmSync('dist/bundle', { recursive: true, force: true });

/**
 * commander requires node:child_process at load time for executable subcommands, which tlsdoctor never uses:
 * loading it costs ~3 ms of every start-up. Defer it to the first spawn.
 */
function lazyChildProcessInCommander() {
  return {
    name: 'lazy-child-process-in-commander',
    setup(b) {
      b.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
        const { readFile } = await import('node:fs/promises');
        const text = await readFile(args.path, 'utf8');
        const eager = "const childProcess = require('node:child_process');";
        if (!text.includes(eager)) return undefined; // a commander upgrade changed it: bundle as is
        const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
        return { contents: text.replace(eager, lazy), loader: 'js' };
      });
    },
  };
}

await build({
  entryPoints: ['dist/cli/main.js', 'dist/cli/process-io.js'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/bundle',
  external: ['@peculiar/*', 'pkijs', 'asn1js', 'undici', 'reflect-metadata'],
  // commander is CommonJS: give the ESM bundle a require().
  banner: { js: "import { createRequire as __tlsdoctorRequire } from 'node:module'; const require = __tlsdoctorRequire(import.meta.url);" },
  minify: false,
  logLevel: 'warning',
  plugins: [lazyChildProcessInCommander()],
});
