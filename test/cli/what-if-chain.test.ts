/**
 * Issue 12: "The chain of the succeeding what-if handshake is the presented chain (export, narrowing of
 * trusted-ca.pem)." nginx's own handshake fails before the upstream's Certificate message (no TLS version in
 * common, or no SNI to an upstream that needs it); a what-if handshake gets the chain. Real loopback upstreams
 * (test/helpers/handshake-upstreams.ts) serving the fixture leaf + intermediate; the --ca bundle holds several
 * unrelated roots around the one that anchors the chain.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProtocols } from '../../src/nginx/defaults.js';
import { runCli } from '../helpers/cli.js';
import { pemToDers, readFixture, splitPem } from '../helpers/fixtures.js';
import { startHandshakeUpstream, type HandshakeUpstream, type HandshakeUpstreamKind } from '../helpers/handshake-upstreams.js';

const KINDS: HandshakeUpstreamKind[] = ['tls13-only', 'sni-alert', 'sni-close', 'sni-silent'];
const up = {} as Record<HandshakeUpstreamKind, HandshakeUpstream>;
let work: string;
let bundle: string;

/** What every upstream here serves (handshake-upstreams.ts: LEAF + INT), and the root above it. */
const SERVED = [...pemToDers(readFixture('leaf.pem')), ...pemToDers(readFixture('int1.pem'))];
const ROOT = pemToDers(readFixture('root.pem'))[0];
/** Unrelated roots before and after the right one: narrowing must pick it out, not keep the file. */
const BUNDLE_PEM = [
  ...splitPem(readFixture('bundle-150-roots.pem')).slice(0, 3),
  readFixture('other-root.pem'),
  readFixture('root.pem'),
  readFixture('client-ca.pem'),
].join('');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tlsdoctor-what-if-chain-'));
  bundle = join(work, 'bundle.pem');
  writeFileSync(bundle, BUNDLE_PEM);
  for (const k of KINDS) up[k] = await startHandshakeUpstream(k);
});
afterAll(async () => {
  for (const k of KINDS) await up[k]?.close();
  rmSync(work, { recursive: true, force: true });
});

let runs = 0;
/** `probe` through main(), once with --json and --out, once as text (no --out); the fixtures last until 2046. */
async function probeBoth(kind: HandshakeUpstreamKind, extra: string[] = []) {
  const out = join(work, `out-${runs++}`);
  const args = ['probe', `127.0.0.1:${up[kind].port}`, '--ca', bundle, '--proxy-ssl-verify-depth', '2', '--nginx-version', '1.22.1', '--no-fetch', '--warn', '0', ...extra];
  const json = await runCli([...args, '--json', '--out', out]);
  expect(json.stderr).toBe('');
  const text = await runCli(args);
  return { json, doc: JSON.parse(json.stdout), text: text.stdout, out };
}

const dersOf = (file: string): Buffer[] => pemToDers(readFileSync(file, 'utf8'));
const NOTE = /the chain shown was presented to a what-if handshake \(([^)]*(?:\([^)]*\))?)\): nginx's own handshake failed before the upstream sent certificates/;

describe('the model: nginx 1.22.1 offers no TLS 1.3 to upstreams', () => {
  it('so a TLS 1.3-only upstream fails its handshake before any certificate', () => {
    // src/nginx/version-behaviour.ts: TLSv1.3 joined proxy_ssl_protocols' default in 1.23.4.
    expect(defaultProtocols('1.22.1')).not.toContain('TLSv1.3');
    expect(defaultProtocols('1.23.4')).toContain('TLSv1.3');
  });
});

describe.each([
  // [upstream, extra options, presentedBy, what the note names]
  ['tls13-only', ['--proxy-ssl-name', 'upstream.test'], 'protocol-what-if', 'TLSv1.3'],
  ['sni-alert', ['--proxy-ssl-name', 'upstream.test'], 'sni-what-if', 'proxy_ssl_server_name on (SNI "upstream.test")'],
  ['sni-close', ['--proxy-ssl-name', 'upstream.test'], 'sni-what-if', 'proxy_ssl_server_name on (SNI "upstream.test")'],
  // The first handshake waits 2/3 of --timeout (run-probe.ts firstHandshakeCap): 3s keeps the run short.
  ['sni-silent', ['--proxy-ssl-name', 'upstream.test', '--timeout', '3s'], 'sni-what-if', 'proxy_ssl_server_name on (SNI "upstream.test")'],
] as const)('%s: nginx gets no chain, a what-if does', (kind, extra, by, how) => {
  let r: Awaited<ReturnType<typeof probeBoth>>;
  beforeAll(async () => {
    r = await probeBoth(kind, [...extra]);
  });

  it('nginx fails (exit 1), no certificate reached its handshake', () => {
    expect(r.json.code).toBe(1);
    expect(r.doc.nginx.ok).toBe(false);
    expect(r.doc.connection.outcome).not.toBe('handshake');
  });

  it('presented-chain.pem is exactly the chain the what-if saw, in order', () => {
    expect(dersOf(join(r.out, 'presented-chain.pem'))).toEqual(SERVED);
    expect(r.doc.presentedChain.map((c: { sha256: string }) => c.sha256)).toEqual(SERVED.map((d) => createHash('sha256').update(d).digest('hex')));
    expect(readFileSync(join(r.out, 'presented-chain.pem'), 'utf8')).toContain(`# Sent to a what-if handshake (${how.startsWith('TLS') ? `proxy_ssl_protocols ${how}` : how})`);
  });

  it('trusted-ca.pem holds only the anchoring root, not the 6-certificate bundle', () => {
    expect(pemToDers(BUNDLE_PEM)).toHaveLength(6);
    expect(dersOf(join(r.out, 'trusted-ca.pem'))).toEqual([ROOT]);
    expect(r.doc.fix.trust).toEqual([expect.objectContaining({ role: 'root', subject: expect.stringContaining('Test Root CA'), newlyTrusted: false })]);
    expect(r.doc.fix.trustNotNarrowed).toBeUndefined();
    // The narrowed plan was proven by a second handshake with its own settings and only that root.
    expect(r.doc.fix).toMatchObject({ nginxFixable: true, verified: true, verifiedBy: 'handshake' });
  });

  it(`the JSON says the chain came from the ${by}`, () => {
    expect(r.doc.presentedBy).toBe(by);
    // The SNI upstreams answer nginx's ClientHello with an alert, a close or silence: the handshake what-ifs run and
    // SNI completes. A version refusal (alert 70) goes to the protocol what-ifs instead (what-if-trigger.ts).
    if (by === 'sni-what-if') expect(r.doc.whatIfs.succeeded).toBe('sni');
    else expect(r.doc.whatIfs).toBeUndefined();
    expect(r.doc.notes.join('\n')).toMatch(NOTE);
  });

  it('the text report says the chain shown came from the what-if handshake', () => {
    expect(r.text).toContain("Chain as sent to a what-if handshake, not to nginx's (2):");
    expect(NOTE.exec(r.text)?.[1]).toBe(how);
    expect(r.text).toMatch(new RegExp(`^  note: ${NOTE.source}`, 'm'));
  });
});

describe('every what-if fails too: nothing presented', () => {
  // The front answers only SNI "upstream.test": the SNI what-if sends "other.test" and is refused like the rest.
  let r: Awaited<ReturnType<typeof probeBoth>>;
  beforeAll(async () => {
    r = await probeBoth('sni-alert', ['--proxy-ssl-name', 'other.test']);
  });

  it('no presented-chain.pem, no chain in the JSON, presentedBy null', () => {
    expect(r.json.code).toBe(1);
    expect(r.doc.whatIfs.succeeded).toBeNull();
    expect(r.doc.presentedChain).toEqual([]);
    expect(r.doc.presentedBy).toBeNull();
    expect(existsSync(join(r.out, 'presented-chain.pem'))).toBe(false);
    expect(r.text).not.toContain('Chain as sent');
    expect(r.text).not.toMatch(NOTE);
  });

  it('trusted-ca.pem is the bundle kept as it is, and says so instead of claiming to be narrowed', () => {
    const pem = readFileSync(join(r.out, 'trusted-ca.pem'), 'utf8');
    expect(pemToDers(pem)).toEqual(pemToDers(BUNDLE_PEM));
    expect(pem.match(/^# role: {5}kept from your current bundle \(no chain was seen to narrow it\)$/gm)).toHaveLength(6);
    expect(pem).not.toContain('trust anchor');
    expect(r.doc.fix.trustNotNarrowed).toBe(true);
    const trusted = r.doc.fix.directives.find((d: { line: string }) => d.line.startsWith('proxy_ssl_trusted_certificate'));
    expect(trusted.why).toMatch(/no chain to narrow it to/);
    expect(r.doc.fix.verified).not.toBe(true);
  });

  it('the text report does not claim the bundle holds what a chain needs', () => {
    // Without --out the line names the user's bundle (install-path.ts); its reason stays the plan's own.
    expect(r.text).not.toContain('already holds every certificate the chain needs');
    expect(r.text).toContain('no chain to narrow it to');
    expect(r.text).toContain('your current bundle as it is; no chain was seen to narrow it to the anchoring root');
  });
});
