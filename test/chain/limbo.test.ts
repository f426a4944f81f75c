/**
 * x509-limbo (C2SP/x509-limbo, with Netflix BetterTLS): our engine against OpenSSL 3.0's own verdicts on
 * every server-authentication case, configured as nginx configures OpenSSL for upstreams.
 *
 * The reference verdicts were computed once with the real CLI by generate-openssl-verdicts.mjs and are
 * committed (openssl-verdicts.json): this test spawns no process. Each certificate is parsed once.
 * Disagreements are printed grouped by cause; DISAGREEMENTS.md explains each group.
 *
 * The suite's data is committed beside this file (limbo/limbo.json.gz, see limbo/README.md); LIMBO_JSON_GZ
 * points the test at another copy of the same suite.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { verifyChain } from '../../src/chain/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const limboPath = process.env.LIMBO_JSON_GZ ?? resolve(here, 'limbo/limbo.json.gz');
const reference = JSON.parse(readFileSync(resolve(here, 'limbo/openssl-verdicts.json'), 'utf8')) as {
  openssl: string;
  defaultTime: string;
  defaultDepth: number;
  verdicts: Record<string, string>;
  chainVerdicts: Record<string, string>;
};

interface LimboCase {
  id: string;
  validation_kind: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_peer_name: { kind: string; value: string } | null;
  max_chain_depth: number | null;
}

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

function groupOf(want: string, got: string): string {
  const first = (v: string) => (v === 'ok' ? 'ok' : v.split(',')[0].split('@')[0]);
  return `OpenSSL ${first(want)} / ours ${first(got)}`;
}

interface Tally {
  total: number;
  agree: number;
  /** The CLI's printed errors (code@depth) are a prefix of ours. */
  sequenceAgree: number;
  groups: Map<string, string[]>;
}

describe('x509-limbo server-auth cases against OpenSSL 3.0 verdicts', () => {
  it(`agrees with ${reference.openssl} on >= 99.5% of the cases`, () => {
    const suite = JSON.parse(gunzipSync(readFileSync(limboPath)).toString('utf8')) as { testcases: LimboCase[] };
    const cases = suite.testcases.filter((c) => c.validation_kind === 'SERVER');
    expect(cases.length).toBe(Object.keys(reference.verdicts).length);

    // Parse once: the same PEM block appears as trust anchor in one case and intermediate in another.
    const parsed = new Map<string, Cert | Error>();
    const certsOf = (pems: string[]): (Cert | Error)[] =>
      pems.flatMap((pem) =>
        [...pem.matchAll(PEM)].map((m) => {
          let c = parsed.get(m[1]);
          if (!c) {
            try {
              c = parseCertificate(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));
            } catch (e) {
              c = e as Error;
            }
            parsed.set(m[1], c);
          }
          return c;
        }),
      );

    const withName: Tally = { total: 0, agree: 0, sequenceAgree: 0, groups: new Map() };
    const chainOnly: Tally = { total: 0, agree: 0, sequenceAgree: 0, groups: new Map() };
    const unparsed: string[] = [];
    const tally = (t: Tally, id: string, want: string, got: string, codes: string) => {
      t.total++;
      const agree = (want === 'ok') === (got === 'ok');
      if (agree) t.agree++;
      else {
        const g = groupOf(want, got);
        const list = t.groups.get(g) ?? [];
        list.push(`${id} (OpenSSL ${want}; ours ${got === 'ok' ? 'ok' : codes})`);
        t.groups.set(g, list);
      }
      if (agree && (want === 'ok' || codes.startsWith(want))) t.sequenceAgree++;
    };

    for (const tc of cases) {
      const leafs = certsOf([tc.peer_certificate]);
      const all = [...leafs, ...certsOf(tc.untrusted_intermediates), ...certsOf(tc.trusted_certs)];
      const bad = all.find((c): c is Error => c instanceof Error);
      if (bad) unparsed.push(`${tc.id}: ${bad.message}`);
      const ok = (c: Cert | Error): c is Cert => !(c instanceof Error);
      const params = {
        sent: leafs.filter(ok).slice(0, 1),
        untrusted: certsOf(tc.untrusted_intermediates)
          .filter(ok)
          .map((cert) => ({ cert, source: 'untrusted' as const })),
        trusted: certsOf(tc.trusted_certs).filter(ok),
        at: new Date(tc.validation_time ?? reference.defaultTime),
        depth: tc.max_chain_depth ?? reference.defaultDepth,
        seclevel: 2,
      };
      for (const [t, hostname, want] of [
        [withName, tc.expected_peer_name?.value, reference.verdicts[tc.id]],
        [chainOnly, undefined, reference.chainVerdicts[tc.id]],
      ] as const) {
        if (params.sent.length === 0) {
          tally(t, tc.id, want, 'unparsed', '');
          continue;
        }
        const r = verifyChain({ ...params, hostname });
        const codes = r.errors.map((e) => `${e.code}@${e.depth}`).join(',');
        tally(t, tc.id, want, r.ok ? 'ok' : codes, codes);
      }
    }

    const pct = (t: Tally, n: number) => ((100 * n) / t.total).toFixed(2);
    const lines = [
      `x509-limbo: ${cases.length} server cases, reference ${reference.openssl}`,
      `  as nginx (with the name check): verdict agreement ${withName.agree}/${withName.total} = ${pct(withName, withName.agree)}%, ` +
        `error sequence agreement ${pct(withName, withName.sequenceAgree)}%`,
      `  chain only (no name):           verdict agreement ${chainOnly.agree}/${chainOnly.total} = ${pct(chainOnly, chainOnly.agree)}%, ` +
        `error sequence agreement ${pct(chainOnly, chainOnly.sequenceAgree)}%`,
      `  certificates OpenSSL parses but we do not: ${unparsed.length}`,
    ];
    for (const [name, t] of [
      ['with name', withName],
      ['chain only', chainOnly],
    ] as const) {
      for (const [g, ids] of [...t.groups].sort((a, b) => b[1].length - a[1].length)) {
        lines.push(`  [${name}] ${g}: ${ids.length}`, ...ids.slice(0, 5).map((id) => `      ${id}`));
      }
    }
    console.log(lines.join('\n'));

    expect(unparsed).toEqual([]);
    expect(withName.agree / withName.total).toBeGreaterThanOrEqual(0.995);
    expect(chainOnly.agree / chainOnly.total).toBeGreaterThanOrEqual(0.995);
  }, 300_000); // ~13 s alone; parsing ~30,000 certificates takes minutes on a loaded 2-core machine
});
