/**
 * The remediation layer over every fixture scenario: diagnose the broken setup, build the plan, apply it
 * (settingsForPlan + trustedForPlan, a fresh synthetic handshake with the new settings) and diagnose again.
 * Fixable scenarios must come out `nginx.ok`; unfixable ones must say the fix is on the upstream and what it is.
 */
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { readPemBlocks, decodePemBody } from '../../src/certs/pem.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { DiagnoseInput } from '../../src/diagnosis/types.js';
import { configDeadEndText } from '../../src/remediation/dead-ends.js';
import { opensslFingerprint } from '../../src/remediation/fingerprint.js';
import { buildFixPlan, CLIENT_CERT_PLACEHOLDER, settingsForPlan, trustedForPlan } from '../../src/remediation/plan.js';
import { chooseProxySslName } from '../../src/remediation/proxy-ssl-name.js';
import type { FixPlan } from '../../src/remediation/types.js';
import { upstreamBlockers } from '../../src/remediation/upstream-side.js';
import { fixText } from '../../src/report/fix-text.js';
import { CN, name, rawCert, utf8 } from '../certs/helpers/raw-cert.js';
import { FIXTURE_CLOCK, scenarios, type Scenario } from '../helpers/fixtures.js';
import { certOf, dersOf, scenarioInput, simulate } from './scenario-sim.js';

const INSTALL = '/etc/nginx/tls/trusted-ca.pem';

/**
 * Fixable per the manifest, but not by a generated plan alone, on purpose:
 * - wildcard-miss: the certificate holds only *.example.test; tlsdoctor does not invent a host name under it.
 * - plain-http: the manifest's fix is `proxy_pass http://`, which drops TLS; tlsdoctor names the upstream-side fix
 *   (serve TLS on that port) and proposes no downgrade.
 */
const NOT_AUTO_FIXED: Record<string, string> = {
  'wildcard-miss': 'only a wildcard name: the host name is a manual step',
  'plain-http': 'no TLS on the port: upstream-side fix, no downgrade to http://',
};

/** What upstreamChanges must say for the scenarios only the upstream can fix. */
const UPSTREAM_FIX: Record<string, RegExp> = {
  'expired-leaf': /Renew the upstream's certificate "[^"]*CN=upstream\.test[^"]*": it expired on 2025-12-02/,
  'expired-intermediate': /Replace the expired intermediate "[^"]*CN=tlsdoctor Test Expired Intermediate CA/,
  'not-yet-valid-leaf': /valid now.*valid only from 2090-01-01/,
  'bad-purpose': /extendedKeyUsage serverAuth/,
  'sha1-signature': /signed with SHA-256.*sha1WithRSAEncryption/,
  'weak-key-rsa1024': /RSA key of at least 2048 bits or an ECDSA P-256 key.*RSA 1024-bit/,
  'tls10-only': /Enable TLS 1\.2.*speaks only TLSv1\b/,
  refused: /Start the upstream service on upstream\.test:8443/,
  timeout: /never answers the TLS handshake/,
  'plain-http': /Enable TLS on upstream\.test:8443/,
};

interface Run {
  scenario: Scenario;
  input: DiagnoseInput;
  plan: FixPlan;
  after: ReturnType<typeof diagnose>;
}

/** Diagnose, plan, apply the plan, re-probe (synthetically) and re-diagnose, as the CLI's closed loop does. */
function run(s: Scenario, pool: boolean, extraDeadEnds?: string[]): Run {
  const input = scenarioInput(s, { pool });
  const diagnosis = diagnose(input);
  const plan = buildFixPlan(input, diagnosis, { installPath: INSTALL, serverProtocols: s.tls, ...(extraDeadEnds ? { deadEnds: extraDeadEnds } : {}) });
  const settings = settingsForPlan(plan, input.settings);
  const { observation, sent } = simulate(s, settings);
  const after = diagnose({ observation, sent, trusted: trustedForPlan(plan, input), trustSource: 'bundle', settings, at: FIXTURE_CLOCK, candidates: [] });
  return { scenario: s, input, plan, after };
}

const file = (plan: FixPlan, name: string): string | undefined => plan.files.find((f) => f.name === name)?.content;

function certsIn(pem: string): Cert[] {
  return readPemBlocks(pem, 'test').map((b) => parseCertificate(decodePemBody(b, 'test')));
}

const runs = scenarios().map((s) => run(s, true));
const runsNoPool = scenarios().map((s) => run(s, false));
const byId = (id: string, list = runs): Run => list.find((r) => r.scenario.id === id)!;

describe('closed loop over every fixture scenario (with the fixture CAs as --intermediates pool)', () => {
  it('covers the whole manifest', () => {
    expect(runs.length).toBeGreaterThanOrEqual(30);
  });

  it('the synthetic observations reproduce the manifest\'s nginx verdict before the fix', () => {
    for (const r of runs) {
      const d = diagnose(r.input);
      expect({ status: d.nginx.status, error: d.nginx.error ?? undefined }, r.scenario.id).toEqual({
        status: r.scenario.expected.status,
        error: r.scenario.expected.nginxError,
      });
    }
  });

  for (const r of runs) {
    const s = r.scenario;
    if (s.expected.fixable && !(s.id in NOT_AUTO_FIXED)) {
      it(`${s.id}: fixable, and nginx is ok with the plan applied`, () => {
        expect(r.plan.nginxFixable, r.plan.reason).toBe(true);
        expect(r.after.nginx, JSON.stringify(r.plan.directives)).toMatchObject({ ok: true, status: 200 });
        expect(file(r.plan, 'trusted-ca.pem')).toBeDefined();
        expect(file(r.plan, 'upstream-ssl.conf')).toBeDefined();
      });
    } else if (!s.expected.fixable) {
      it(`${s.id}: only the upstream can fix it, and the plan says how`, () => {
        expect(r.plan.nginxFixable).toBe(false);
        expect(r.plan.reason).toMatch(/^only the upstream can fix this: /);
        expect(r.plan.upstreamChanges.join('\n')).toMatch(UPSTREAM_FIX[s.id]);
        // Nothing beyond the baseline: no directive pretends to cure it.
        expect(r.plan.directives.map((d) => d.line.split(' ')[0])).toEqual(['proxy_ssl_verify', 'proxy_ssl_trusted_certificate']);
        expect(r.after.nginx.ok).toBe(false);
      });
    }
  }

  it('wildcard-miss: no invented name; the manual step says so, and a real name under the wildcard then works', () => {
    const r = byId('wildcard-miss');
    expect(r.plan.nginxFixable).toBe(true);
    expect(r.plan.directives.some((d) => d.line.startsWith('proxy_ssl_name'))).toBe(false);
    expect(r.plan.manual?.join('\n')).toMatch(/only "\*\.example\.test".*does not invent a host name/);
    expect(r.after.nginx.ok).toBe(false);
    const settings = { ...settingsForPlan(r.plan, r.input.settings), proxySslName: 'a.example.test' };
    const { observation, sent } = simulate(r.scenario, settings);
    const manual = diagnose({ observation, sent, trusted: trustedForPlan(r.plan, r.input), trustSource: 'bundle', settings, at: FIXTURE_CLOCK });
    expect(manual.nginx.ok).toBe(true);
  });

  it('plain-http: the upstream must serve TLS; no downgrade is proposed', () => {
    const r = byId('plain-http');
    expect(r.plan.nginxFixable).toBe(false);
    expect(r.plan.upstreamChanges.join('\n')).toMatch(UPSTREAM_FIX['plain-http']);
    expect(JSON.stringify(r.plan)).not.toMatch(/http:\/\//);
  });
});

describe('without a pool: fixes that need a certificate tlsdoctor does not have become a manual step', () => {
  const needPool = new Set(['leaf-only-sent', 'wrong-ca-bundle', 'unknown-ca-leaf-only', 'partial-chain-bundle', 'leaf-pinned']);
  for (const r of runsNoPool) {
    const s = r.scenario;
    if (!s.expected.fixable || s.id in NOT_AUTO_FIXED) continue;
    if (needPool.has(s.id)) {
      it(`${s.id}: no trusted-ca.pem (never an intermediate alone), a manual step to find the root`, () => {
        expect(r.plan.trust).toEqual([]);
        expect(file(r.plan, 'trusted-ca.pem')).toBeUndefined();
        expect(file(r.plan, 'upstream-ssl.conf')).toBeUndefined();
        expect(r.plan.manual?.join('\n')).toMatch(/Find the root of this chain.*--intermediates FILE/);
        expect(r.after.nginx.ok).toBe(false);
      });
    } else {
      it(`${s.id}: fixed from what the upstream sends and the bundle holds`, () => {
        expect(r.after.nginx.ok).toBe(true);
      });
    }
  }
});

describe('trusted-ca.pem', () => {
  it('holds the root plus what the server does not send, never an intermediate alone', () => {
    for (const r of runs) {
      const pem = file(r.plan, 'trusted-ca.pem');
      if (!pem) continue;
      const certs = certsIn(pem);
      expect(certs.some((c) => c.selfSigned), r.scenario.id).toBe(true);
      expect(certs.map((c) => c.sha256)).toEqual(r.plan.trust.map((t) => t.sha256));
    }
  });

  it('leaf-only-sent: the missing intermediate from the pool plus the root, both named as new', () => {
    const r = byId('leaf-only-sent');
    expect(r.plan.trust.map((t) => [t.role, t.subject, t.newlyTrusted])).toEqual([
      ['intermediate', certOf('int1.pem').subject, true],
      ['root', certOf('root.pem').subject, false],
    ]);
    expect(r.plan.trust[0].origin).toBe('--intermediates pki/int1.pem');
  });

  it('healthy: the root only (the server sends its intermediate)', () => {
    expect(byId('healthy').plan.trust.map((t) => t.subject)).toEqual([certOf('root.pem').subject]);
    expect(byId('healthy').plan.alreadyOk).toBe(true);
  });

  it('root-sent-untrusted: proposes the root the server sends, as new', () => {
    const t = byId('root-sent-untrusted').plan.trust;
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ role: 'root', subject: certOf('root.pem').subject, newlyTrusted: true });
    expect(t[0].origin).toMatch(/^sent by the upstream as #2/);
  });

  it('self-signed-leaf: pins the certificate itself, with a warning naming its expiry', () => {
    const r = byId('self-signed-leaf');
    expect(r.plan.trust).toHaveLength(1);
    expect(r.plan.trust[0]).toMatchObject({ role: 'pinned-leaf', newlyTrusted: true, sha256: certOf('leaf-self-signed.pem').sha256 });
    expect(r.plan.trust[0].warning).toMatch(/pins one self-signed certificate.*expires on 2046-01-01/);
    expect(file(r.plan, 'trusted-ca.pem')).toMatch(/# WARNING: This pins one self-signed certificate/);
    expect(r.plan.upstreamChanges.join('\n')).toMatch(/internal CA/);
  });

  it('no chain seen (no common protocol): the current bundle is kept, labelled as such', () => {
    const r = byId('tls13-only');
    expect(r.plan.trust.map((t) => [t.subject, t.newlyTrusted])).toEqual([[certOf('root.pem').subject, false]]);
    expect(file(r.plan, 'trusted-ca.pem')).toMatch(/# role: {5}kept from your current bundle/);
    expect(r.plan.directives[1].why).toMatch(/your current bundle, unchanged/);
  });

  it('names every newly trusted certificate with subject and SHA-256, and the out-of-band check', () => {
    let checked = 0;
    for (const r of runs) {
      const pem = file(r.plan, 'trusted-ca.pem') ?? '';
      const text = fixText(r.plan).join('\n');
      for (const t of r.plan.trust.filter((x) => x.newlyTrusted)) {
        const fp = opensslFingerprint(t.sha256);
        expect(pem).toContain(`# SHA-256:  ${fp}`);
        expect(pem).toContain(`# subject:  ${t.subject}`);
        expect(pem).toMatch(/NOT TRUSTED BEFORE: check this SHA-256 out of band/);
        expect(text).toContain(t.subject);
        expect(text).toContain(fp);
        expect(text).toMatch(/Check this SHA-256 out of band/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('every block has the comment header: subject, issuer, SHA-256, validity, role, origin', () => {
    const pem = file(byId('leaf-only-sent').plan, 'trusted-ca.pem')!;
    for (const key of ['subject', 'issuer', 'SHA-256', 'validity', 'role', 'origin']) {
      expect(pem.match(new RegExp(`^# ${key}: `, 'gm'))?.length, key).toBe(2);
    }
  });
});

describe('presented-chain.pem', () => {
  it('is the chain exactly as sent, in order, duplicates included, each with its header', () => {
    const r = byId('duplicate-and-extra');
    const pem = file(r.plan, 'presented-chain.pem')!;
    expect(certsIn(pem).map((c) => c.sha256)).toEqual(dersOf(r.scenario.serve!).map((d) => parseCertificate(d).sha256));
    expect(pem.match(/^# \[\d\] subject: /gm)).toHaveLength(4);
    expect(pem).toContain(`# [2] SHA-256:  ${opensslFingerprint(certOf('int1.pem').sha256)}`);
    expect(pem).toMatch(/# \[0\] validity: 2025-01-01T00:00:00\.000Z \.\. 2046-01-01T00:00:00\.000Z/);
  });

  it('is absent when nothing was sent', () => {
    expect(file(byId('refused').plan, 'presented-chain.pem')).toBeUndefined();
  });
});

describe('upstream-ssl.conf', () => {
  const all = [...runs, ...runsNoPool];
  const snippets = all.map((r) => ({ id: r.scenario.id, text: file(r.plan, 'upstream-ssl.conf') })).filter((x) => x.text !== undefined) as {
    id: string;
    text: string;
  }[];

  it('never weakens verification (every generated snippet and directive)', () => {
    expect(snippets.length).toBeGreaterThan(40);
    for (const { id, text } of snippets) {
      expect(text, id).not.toMatch(/proxy_ssl_verify\s+off/i);
      expect(text, id).not.toMatch(/SECLEVEL\s*=\s*[01]\b/i);
      expect(text, id).not.toMatch(/proxy_ssl_ciphers|proxy_ssl_conf_command|ssl_verify_client\s+optional_no_ca/i);
      const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
      for (const l of lines) {
        // Only TLS 1.2 and 1.3 may be enabled; depth only ever raised to what the chain needs.
        if (l.startsWith('proxy_ssl_protocols')) expect(l, id).toBe('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
        expect(l, id).toMatch(/^proxy_ssl_(verify on;|trusted_certificate |verify_depth \d+;|server_name on;|name |protocols |certificate |certificate_key )/);
      }
      expect(lines[0], id).toBe('proxy_ssl_verify on;');
    }
    for (const r of all) {
      for (const d of r.plan.directives) expect(d.line).not.toMatch(/verify off|SECLEVEL/i);
    }
  });

  it('has a why-comment right above every directive line', () => {
    for (const { id, text } of snippets) {
      const lines = text.split('\n');
      lines.forEach((l, i) => {
        if (l.trim() && !l.startsWith('#')) expect(lines[i - 1], `${id}: ${l}`).toMatch(/^# \S/);
      });
    }
  });

  it('no file holds a private key', () => {
    for (const r of [...runs, ...runsNoPool]) {
      for (const f of r.plan.files) expect(f.content, `${r.scenario.id} ${f.name}`).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('names the install path', () => {
    expect(file(byId('healthy').plan, 'upstream-ssl.conf')).toContain(`proxy_ssl_trusted_certificate ${INSTALL};`);
    const input = scenarioInput(byId('healthy').scenario, { pool: false });
    const spaced = buildFixPlan(input, diagnose(input), { installPath: '/srv/my certs/ca;x.pem' });
    expect(spaced.directives[1].line).toBe('proxy_ssl_trusted_certificate "/srv/my certs/ca;x.pem";');
  });

  const lines = (id: string): string[] => byId(id).plan.directives.map((d) => d.line);

  it('only what the upstream needs: healthy gets the baseline', () => {
    expect(lines('healthy')).toEqual(['proxy_ssl_verify on;', `proxy_ssl_trusted_certificate ${INSTALL};`]);
  });

  it('too-deep and healthy-three-level: proxy_ssl_verify_depth 2', () => {
    expect(lines('too-deep')).toContain('proxy_ssl_verify_depth 2;');
    expect(lines('healthy-three-level')).toContain('proxy_ssl_verify_depth 2;');
    expect(lines('wrong-order')).toContain('proxy_ssl_verify_depth 2;');
  });

  it('name mismatch: a DNS SAN of the certificate, never the IP, never localhost when a real name exists', () => {
    for (const id of ['name-mismatch-ip', 'ip-san-only', 'upstream-block-name']) {
      expect(lines(id), id).toContain('proxy_ssl_name upstream.test;');
    }
    expect(byId('ip-san-only').plan.directives.find((d) => d.line.startsWith('proxy_ssl_name'))!.why).toMatch(/never consults IP SANs/);
  });

  it('sni-required: proxy_ssl_server_name on with the name, and the alternative on the upstream', () => {
    const l = lines('sni-required');
    expect(l).toContain('proxy_ssl_server_name on;');
    expect(l).toContain('proxy_ssl_name upstream.test;');
    expect(byId('sni-required').plan.upstreamChanges.join('\n')).toMatch(/without SNI \(its default\)/);
  });

  it('sni-enabled: keeps the SNI the user already had on', () => {
    expect(lines('sni-enabled')).toContain('proxy_ssl_server_name on;');
  });

  it('tls13-only: TLSv1.2 TLSv1.3; client-cert-required-tls13 keeps TLS 1.3 the user had configured', () => {
    expect(lines('tls13-only')).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
    expect(lines('client-cert-required-tls13')).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
    expect(lines('healthy').some((l) => l.startsWith('proxy_ssl_protocols'))).toBe(false);
  });

  it('mTLS: placeholders, naming the CA the upstream accepts', () => {
    for (const id of ['client-cert-required-tls12', 'client-cert-required-tls13', 'client-cert-rejected']) {
      const p = byId(id).plan;
      expect(lines(id), id).toContain(`proxy_ssl_certificate ${CLIENT_CERT_PLACEHOLDER};`);
      expect(lines(id), id).toContain('proxy_ssl_certificate_key /etc/nginx/tls/client.key;');
      expect(p.directives.find((d) => d.line.startsWith('proxy_ssl_certificate '))!.why).toContain(`"${certOf('client-ca.pem').subject}"`);
      expect(p.manual?.join('\n')).toMatch(/Put a client certificate issued by one of/);
    }
    expect(byId('client-cert-rejected').plan.directives[2].why).toMatch(/rejected the client certificate nginx sends \(client-other\.pem\), alert unknown_ca/);
  });

  it('client-cert-accepted: keeps the user\'s own client certificate paths', () => {
    expect(lines('client-cert-accepted')).toEqual(expect.arrayContaining(['proxy_ssl_certificate client.pem;', 'proxy_ssl_certificate_key client.key.pem;']));
  });
});

describe('upstream-side changes come first and name the certificates', () => {
  it('leaf-only-sent: serve leaf + intermediate, naming the intermediate', () => {
    const c = byId('leaf-only-sent').plan.upstreamChanges;
    expect(c[0]).toContain(`Make the upstream send its intermediate: its certificate file must hold the leaf "${certOf('leaf.pem').subject}" followed by "${certOf('int1.pem').subject}" (e.g. \`cat leaf.pem intermediate.pem > fullchain.pem\``);
  });

  it('a wrong intermediate sent: replace X with Y', () => {
    // The healthy leaf with the Other Intermediate CA in place of its own (a variant of the fixtures).
    const s: Scenario = { ...byId('healthy').scenario, id: 'wrong-intermediate', serve: ['leaf.pem', 'other-int.pem'] };
    const r = run(s, true);
    expect(r.plan.upstreamChanges[0]).toContain(
      `replace "${certOf('other-int.pem').subject}" (sent as #1) with "${certOf('int1.pem').subject}"`,
    );
    expect(r.after.nginx.ok).toBe(true);
  });

  it('fix text: upstream first, then nginx-side, trust, verdict, dead ends', () => {
    const text = fixText({ ...byId('leaf-only-sent').plan, verified: true }).join('\n');
    const order = ['On the upstream (the durable fix)', 'nginx-side', 'proxy_ssl_verify on;', 'Trust (proxy_ssl_trusted_certificate)', 'Files', 'fix verified: yes'];
    const at = order.map((s) => text.indexOf(s));
    expect(at.every((x) => x >= 0), text).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('fix text for an unfixable upstream says the fix is on the upstream', () => {
    const text = fixText(byId('expired-leaf').plan).join('\n');
    expect(text).toMatch(/On the upstream \(the only fix\):\n    - Renew/);
    expect(text).toContain(`nginx-side: no workaround: only the upstream can fix this: "${certOf('leaf-expired.pem').subject}" expired on 2025-12-02`);
    expect(text).toMatch(/fix verified: no \(the fix is on the upstream/);
    expect(fixText({ ...byId('healthy-three-level').plan, verified: false, verifyError: 'x' }).join('\n')).toMatch(/fix verified: no \(with this plan nginx would still log: x\)/);
  });
});

describe('dead ends', () => {
  it('a bundle with only intermediates', () => {
    expect(byId('partial-chain-bundle').plan.deadEnds.join('\n')).toMatch(/holds only intermediate CA certificates \("[^"]*CN=tlsdoctor Test Intermediate CA.*no partial chains/);
  });

  it('a CA-issued leaf pinned as trust anchor', () => {
    expect(byId('leaf-pinned').plan.deadEnds.join('\n')).toContain(`pins the upstream's own CA-issued certificate "${certOf('leaf.pem').subject}"`);
    expect(byId('self-signed-pinned').plan.deadEnds).toEqual([]);
    expect(byId('healthy').plan.deadEnds).toEqual([]);
  });

  it('passes on dead ends found in nginx configs', () => {
    const extra = [configDeadEndText('verify-off', 'nginx.conf:12'), configDeadEndText('client-side-trusted-certificate')];
    const r = run(byId('leaf-only-sent').scenario, true, extra);
    expect(r.plan.deadEnds).toEqual(expect.arrayContaining(extra));
    expect(fixText(r.plan).join('\n')).toMatch(/Dead ends in your setup:\n    - Dead end: proxy_ssl_verify off \(nginx\.conf:12\)/);
  });
});

describe('proxy_ssl_name choice', () => {
  const fake = (dns: string[], cn: string[] = []): Cert =>
    ({ subjectAltNames: { dns, ip: [], email: [], uri: [], other: 0 }, commonNames: cn, native: { checkHost: (n: string) => n } }) as unknown as Cert;

  it('refuses a SAN that is not a host name (no directive injection)', () => {
    expect(chooseProxySslName(fake(['x; proxy_ssl_verify off', 'ok.example.test']), '10.0.0.1')).toEqual({ kind: 'name', name: 'ok.example.test', from: 'dns-san' });
    expect(chooseProxySslName(fake(['x;y', 'a b']), '10.0.0.1')).toEqual({ kind: 'none' });
  });

  it('prefers the name closest to the configured one, and a qualified name over localhost', () => {
    expect(chooseProxySslName(fake(['localhost', 'a.other.test', 'api.example.test']), 'backend.example.test')).toMatchObject({ name: 'api.example.test' });
    expect(chooseProxySslName(fake(['localhost', 'upstream.test']), '127.0.0.1')).toMatchObject({ name: 'upstream.test' });
  });

  it('never an IP, the CN only without DNS SANs, wildcards are not names', () => {
    expect(chooseProxySslName(fake(['127.0.0.1']), 'x')).toEqual({ kind: 'none' });
    // A real certificate: which CNs X509_check_host can read depends on their string types.
    expect(chooseProxySslName(parseCertificate(rawCert({ subject: name([CN, utf8('cn.example.test')]) })), 'x')).toEqual({ kind: 'name', name: 'cn.example.test', from: 'cn' });
    expect(chooseProxySslName(fake(['*.example.test']), 'a.b.example.test')).toEqual({ kind: 'wildcard-only', wildcards: ['*.example.test'] });
  });

  it('a certificate with no name nginx can check is an upstream fix', () => {
    const r = byId('name-mismatch-ip');
    const blockers = upstreamBlockers({ input: r.input, connection: [], chain: [], sent: r.input.sent, fullPath: [], name: { kind: 'none' } });
    expect(blockers.map((b) => b.change).join('\n')).toMatch(/Reissue the upstream's certificate with a DNS subjectAltName/);
  });

  it('an IP target: the upstream alternative is a DNS SAN spelled as the IP', () => {
    const r = byId('name-mismatch-ip');
    expect(r.plan.upstreamChanges.join('\n')).toMatch(/DNS subjectAltName spelled "127\.0\.0\.1" \(type DNS, not IP/);
  });
});

describe('settingsForPlan', () => {
  it('applies what the snippet sets and nginx defaults for the rest (the snippet replaces the location\'s lines)', () => {
    const r = byId('too-deep');
    const s = settingsForPlan(r.plan, { ...r.input.settings, proxySslServerName: true, proxySslCertificate: 'old.pem' });
    expect(s).toMatchObject({ proxySslVerifyDepth: 2, proxySslServerName: false, proxySslProtocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'] });
    expect(s.proxySslCertificate).toBeUndefined();
  });
});
