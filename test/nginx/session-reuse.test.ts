/**
 * The session-cache model (src/nginx/session-reuse.ts) on hand-made locations; test/nginx-real/session-reuse.test.ts
 * checks it against real nginx.
 */
import { describe, expect, it } from 'vitest';
import type { NginxOutcome } from '../../src/diagnosis/types.js';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { lintNginxConfig } from '../../src/nginx/lints.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import { renderLintFinding } from '../../src/report/explain-text.js';
import { predictSequence, sessionOrderEffects, sessionReuseFix, type SessionLocation } from '../../src/nginx/session-reuse.js';

const OK: NginxOutcome = { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' };
const E2 = 'upstream SSL certificate verify error: (2:unable to get issuer certificate) while SSL handshaking to upstream';
const FAIL2: NginxOutcome = { ok: false, status: 502, level: 'error', error: E2, verifyCode: 2, stage: 'verify' };

function loc(location: string, fresh: NginxOutcome, extra: Partial<SessionLocation> = {}): SessionLocation {
  return { location, reuse: true, verify: true, fresh, storedVerifyCode: fresh.verifyCode, nameOk: true, protocol: 'TLSv1.2', name: 'upstream.test', ...extra };
}

describe('session reuse across locations', () => {
  const partial = loc('/partial/', FAIL2);
  const vault = loc('/vault/', OK);

  it('TLS 1.2: both directions, each lasting until the session expires', () => {
    const effects = sessionOrderEffects([partial, vault]);
    expect(effects).toEqual([
      { first: '/partial/', then: '/vault/', gets: FAIL2, fresh: OK, lasts: 'until-session-expires', kind: 'harmful' },
      { first: '/vault/', then: '/partial/', gets: { ...OK, verifyCode: 0 }, fresh: FAIL2, lasts: 'until-session-expires', kind: 'hides' },
    ]);
  });

  it('TLS 1.3: the failing location stores nothing; the working one hides the other\'s failure for the next request', () => {
    const effects = sessionOrderEffects([{ ...partial, protocol: 'TLSv1.3' }, { ...vault, protocol: 'TLSv1.3' }]);
    expect(effects.map((e) => `${e.first}→${e.then} ${e.kind} ${e.lasts}`)).toEqual(['/vault/→/partial/ hides next-request']);
  });

  it('the resuming location keeps its own name check', () => {
    const other = loc('/other/', { ...OK }, { nameOk: false, name: 'other.test', fresh: { ok: false, status: 502, level: 'error', error: 'upstream SSL certificate does not match "other.test" while SSL handshaking to upstream', verifyCode: 0, stage: 'name' } });
    expect(predictSequence([vault, other], ['/vault/', '/other/'])[1].error).toBe('upstream SSL certificate does not match "other.test" while SSL handshaking to upstream');
    expect(sessionOrderEffects([vault, other])).toEqual([]);
  });

  it('a location with reuse off neither stores nor resumes', () => {
    expect(sessionOrderEffects([{ ...partial, reuse: false }, vault])).toEqual([]);
    expect(predictSequence([{ ...partial, reuse: false }, vault], ['/partial/', '/vault/', '/partial/'])).toEqual([FAIL2, OK, FAIL2]);
  });

  it('the fix turns reuse off in the failing location, and no effect remains', () => {
    expect(sessionReuseFix([partial, vault])).toEqual({ reuseOff: ['/partial/'], remaining: [] });
  });

  it('equal verdicts: no effect, no fix', () => {
    expect(sessionReuseFix([vault, loc('/vault2/', OK)])).toEqual({ reuseOff: [], remaining: [] });
  });
});

describe('SESSION_REUSE_MIXED_TRUST text', () => {
  it('explains both directions and the fix', () => {
    const conf = [
      'http { proxy_ssl_verify on; server {',
      ' location /partial/ { proxy_ssl_trusted_certificate /etc/ssl/int.pem; proxy_pass https://127.0.0.1:8443/; }',
      ' location /vault/ { proxy_ssl_trusted_certificate /etc/ssl/root.pem; proxy_pass https://127.0.0.1:8443/; }',
      '} }',
    ].join('\n');
    const f = lintNginxConfig(computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' })).find((x) => x.code === 'SESSION_REUSE_MIXED_TRUST')!;
    const text = renderLintFinding(f);
    expect(text).toContain('after a request through a location whose verification fails, the others answer 502 with that location\'s error until the session expires');
    expect(text).toContain('a location that should fail answers 200');
    expect(text).toContain('proxy_ssl_session_reuse off in every location but those sharing one set of settings');
  });
});
