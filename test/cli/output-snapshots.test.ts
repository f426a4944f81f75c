/**
 * CLI output is a contract for people reading it in an outage and for scripts reading --json: snapshot-tested
 * (STYLE.md 11), with the exit code. Offline `verify` at the fixture clock, so nothing depends on ports or today.
 * Values that change when fixtures are regenerated (fresh keys: fingerprints, key ids, serials, PEM bodies) and
 * this machine's paths are normalised.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_CLOCK, PKI_DIR, loadScenario } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-snap-'));

function normalise(text: string): string {
  return text
    .split(dir).join('<tmp>')
    .split(PKI_DIR).join('<pki>')
    .replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '<pem>')
    .replace(/"pem": "[^"]*"/g, '"pem": "<pem>"')
    .replace(/"content": "[^"]*"/g, '"content": "<file>"')
    .replace(/\b[0-9a-f]{64}\b/g, '<sha256>')
    .replace(/\b([0-9A-F]{2}:){31}[0-9A-F]{2}\b/g, '<sha256>')
    .replace(/\b[0-9a-f]{40}\b/g, '<keyid>')
    .replace(/\b[0-9a-f]{16}\b/g, '<sha256-prefix>')
    .replace(/"serial": "[0-9A-F]+"/g, '"serial": "<serial>"');
}

const SCENARIOS = ['healthy', 'leaf-only-sent', 'too-deep', 'self-signed-leaf', 'expired-intermediate', 'name-mismatch-ip'];

describe.each(SCENARIOS)('verify %s', (id) => {
  const l = loadScenario(id);
  const chain = join(dir, `${id}.pem`);
  writeFileSync(chain, l.pem.serve.join(''));
  const args = ['verify', '--chain', chain, '--at', FIXTURE_CLOCK.toISOString(), '--proxy-ssl-name', l.proxySslName, '--proxy-ssl-verify-depth', String(l.depth), '--install-path', '/etc/nginx/tls/trusted-ca.pem'];
  for (const t of l.paths.trusted) args.push('--ca', t);

  it('text', async () => {
    const run = await runCli(args);
    expect(`exit ${run.code}\n\n${normalise(run.stdout)}`).toMatchSnapshot();
  });

  it('json', async () => {
    const run = await runCli([...args, '--json']);
    expect(`exit ${run.code}\n\n${normalise(run.stdout)}`).toMatchSnapshot();
  });
});

// Without --out or --install-path: the directives keep the user's bundle when it is unchanged (a healthy upstream:
// "nothing to do"), and otherwise say that trusted-ca.pem must still be written and installed.
describe.each(['healthy', 'leaf-only-sent'])('verify %s, nothing written', (id) => {
  const l = loadScenario(id);
  const chain = join(dir, `${id}-plain.pem`);
  writeFileSync(chain, l.pem.serve.join(''));
  it('text', async () => {
    const args = ['verify', '--chain', chain, '--at', FIXTURE_CLOCK.toISOString(), '--proxy-ssl-name', l.proxySslName, '--intermediates', join(PKI_DIR, 'int1.pem')];
    for (const t of l.paths.trusted) args.push('--ca', t);
    const run = await runCli(args, { cwd: dir });
    expect(`exit ${run.code}\n\n${normalise(run.stdout)}`).toMatchSnapshot();
  });
});
