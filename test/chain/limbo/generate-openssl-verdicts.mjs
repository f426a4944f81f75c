#!/usr/bin/env node
/**
 * Precomputes OpenSSL's verdict for every server-auth case of the x509-limbo suite, configured the way nginx
 * configures OpenSSL for upstreams (see README.md beside this file):
 *
 *   openssl verify -purpose sslserver -auth_level 2 -verify_depth <case depth or 100>
 *                  [-verify_hostname <peer name>]   (also for IP literals: nginx calls X509_check_host only)
 *                  -attime <epoch> -CAfile trusted.pem [-untrusted intermediates.pem] leaf.pem
 *
 * Output: test/chain/limbo/openssl-verdicts.json, committed, read by limbo.test.ts (which never spawns a process):
 * `verdicts` with the name check (nginx's configuration), `chainVerdicts` the same command without
 * -verify_hostname (the chain alone: most suite cases would otherwise stop at the name).
 * Each verdict is `"ok"`, the errors the CLI printed as `code@depth` joined by commas (its callback stops at
 * the first error that is not on its continue list, so this is a prefix of what nginx's always-continue
 * callback sees), or `"load:<what>"` when the CLI could not load an input (see DISAGREEMENTS.md).
 *
 * Usage: node test/chain/limbo/generate-openssl-verdicts.mjs [path/to/limbo.json.gz]
 * Default input: limbo.json.gz beside this script.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir, availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const input = process.argv[2] ?? join(here, 'limbo.json.gz');
const output = join(here, 'openssl-verdicts.json');

/**
 * Cases without a validation time are judged at this fixed instant (never "now": the committed verdicts must
 * not depend on when they were generated). limbo.test.ts reads it back from the output file.
 */
const DEFAULT_TIME = '2026-11-22T00:00:00Z';
const DEFAULT_DEPTH = 100;

function run(args, cwd) {
  return new Promise((resolvePromise) => {
    execFile('openssl', args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Turns `openssl verify` output into a verdict. The CLI prints `error N at D depth lookup: text` per error. */
function verdictOf({ code, stdout, stderr }) {
  const text = `${stdout}\n${stderr}`;
  const errors = [...text.matchAll(/^error (\d+) at (-?\d+) depth lookup:/gm)].map((m) => `${m[1]}@${m[2]}`);
  if (code === 0 && /: OK\s*$/m.test(stdout)) return errors.length > 0 ? `ok-after:${errors.join(',')}` : 'ok';
  if (errors.length > 0) return errors.join(',');
  if (/Could not (?:open|read|find) file|unable to load|Error loading file|Could not load/i.test(text)) {
    if (/untrusted/i.test(text)) return 'load:untrusted';
    if (/CAfile|trust/i.test(text)) return 'load:trusted';
    return 'load:leaf';
  }
  return `unknown:${code}:${text.trim().split('\n').slice(-1)[0]?.slice(0, 120)}`;
}

async function judge(tc, dir, withName) {
  await writeFile(join(dir, 'trusted.pem'), tc.trusted_certs.join(''));
  await writeFile(join(dir, 'leaf.pem'), tc.peer_certificate);
  const at = Math.floor(Date.parse(tc.validation_time ?? DEFAULT_TIME) / 1000);
  const args = ['verify', '-purpose', 'sslserver', '-auth_level', '2'];
  args.push('-verify_depth', String(tc.max_chain_depth ?? DEFAULT_DEPTH));
  args.push('-attime', String(at));
  if (withName && tc.expected_peer_name) args.push('-verify_hostname', tc.expected_peer_name.value);
  // Only the case's trusted certificates, like proxy_ssl_trusted_certificate: -CAfile alone still consults the
  // system store (the default CApath/CAstore).
  args.push('-CAfile', 'trusted.pem', '-no-CApath', '-no-CAstore');
  if (tc.untrusted_intermediates.length > 0) {
    await writeFile(join(dir, 'untrusted.pem'), tc.untrusted_intermediates.join(''));
    args.push('-untrusted', 'untrusted.pem');
  }
  args.push('leaf.pem');
  return verdictOf(await run(args, dir));
}

async function main() {
  const suite = JSON.parse(gunzipSync(await readFile(input)).toString('utf8'));
  const cases = suite.testcases.filter((tc) => tc.validation_kind === 'SERVER');
  const version = (await run(['version'], tmpdir())).stdout.trim();
  const verdicts = {};
  const chainVerdicts = {};
  let next = 0;
  const workers = Array.from({ length: Math.max(2, availableParallelism()) * 2 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'limbo-openssl-'));
    try {
      while (next < cases.length) {
        const tc = cases[next++];
        verdicts[tc.id] = await judge(tc, dir, true);
        // The same without the name check: what the chain alone gets (most suite cases fail on the name).
        chainVerdicts[tc.id] = tc.expected_peer_name ? await judge(tc, dir, false) : verdicts[tc.id];
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  await Promise.all(workers);
  const ids = Object.keys(verdicts).sort();
  const sorted = Object.fromEntries(ids.map((id) => [id, verdicts[id]]));
  const sortedChain = Object.fromEntries(ids.map((id) => [id, chainVerdicts[id]]));
  const doc = {
    generator: 'test/chain/limbo/generate-openssl-verdicts.mjs',
    openssl: version,
    limboVersion: suite.version,
    defaultTime: DEFAULT_TIME,
    defaultDepth: DEFAULT_DEPTH,
    command: 'openssl verify -purpose sslserver -auth_level 2 -verify_depth <depth> -attime <t> [-verify_hostname <name>] -CAfile trusted.pem [-untrusted untrusted.pem] leaf.pem',
    verdicts: sorted,
    chainVerdicts: sortedChain,
  };
  // One verdict per line: small diffs when regenerated.
  const block = (m) => Object.entries(m).map(([id, v]) => `    ${JSON.stringify(id)}: ${JSON.stringify(v)}`).join(',\n');
  const head = JSON.stringify({ ...doc, verdicts: undefined, chainVerdicts: undefined }, null, 2).replace(/\n}$/, '');
  await writeFile(output, `${head},\n  "verdicts": {\n${block(sorted)}\n  },\n  "chainVerdicts": {\n${block(sortedChain)}\n  }\n}\n`);
  const counts = {};
  for (const v of Object.values(sorted)) counts[v] = (counts[v] ?? 0) + 1;
  console.log(`${cases.length} cases, ${version}:`, counts);
}

await main();
