// Bundles the compiled CLI (dist/cli/bundle-entry.js) into one CommonJS file, dist/bundle/tlsdoctor.cjs.
// Measured: loading ~60 separate ES modules cost ~60 ms of start-up, which a one-second outage tool and
// `npm run bench` (probe vs a bare node:tls script) cannot afford. One classic script (not an ES module) because
// bin/tlsdoctor compiles it with node:vm to use a V8 code cache, which Node 20 offers for scripts only
// (vm.Script cachedData); the cache removes most of the compile time that remains.
// Heavy libraries stay external and are imported lazily where needed (PKCS#7, AIA fetching). A script compiled by
// node:vm has no `import()` of its own (and vm's USE_MAIN_CONTEXT_DEFAULT_LOADER is experimental: it prints a
// warning, and scripts restored from a code cache lose it), so each `import("x")` of the output becomes
// `__tlsdoctor_import("x")`, a function bin/tlsdoctor passes in: Node's own import() from an ES module.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  entryPoints: { tlsdoctor: 'dist/cli/bundle-entry.js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  external: ['@peculiar/*', 'pkijs', 'asn1js', 'undici', 'reflect-metadata'],
  // import.meta.url (demo's fixtures folder) has no CommonJS meaning: give it the bundle's own URL.
  define: { 'import.meta.url': '__tlsdoctor_import_meta_url' },
  banner: { js: "var __tlsdoctor_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  // Whitespace only (names and syntax stay as written): ~25% less to read and hash at every start-up.
  minifyWhitespace: true,
  logLevel: 'warning',
  plugins: [lazyChildProcessInCommander()],
});

const out = 'dist/bundle/tlsdoctor.cjs';
// bin/tlsdoctor checks for this exact head: a bundle built by an older script is refused with a clear message.
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __tlsdoctor_import) {';
const WRAPPER_TAIL = '\n})';
const text = readFileSync(out, 'utf8').replace(/\bimport\(("[^"\\]+")\)/g, '__tlsdoctor_import($1)');
if (/\bimport\(/.test(text)) throw new Error(`${out}: an import() that is not a plain string literal is left; bin/tlsdoctor cannot serve it`);
// The module wrapper is written into the file (bin/tlsdoctor compiles the file's text as it is): wrapping it at
// every start-up copied the 650 KB source into a second string, one more scavenge before the probe connects
// (~1 ms of a probe, bench/probe-bench.mjs). The file stays a valid script: run as one, it only evaluates a function.
writeFileSync(out, `${WRAPPER_HEAD}${text}${WRAPPER_TAIL}`);
