/**
 * The fix plan in words: the upstream-side change first (the durable fix), then the nginx side (snippet, files,
 * certificates proposed for trust with their fingerprints), the closed-loop verdict, the dead ends.
 */
import { opensslFingerprint } from '../remediation/fingerprint.js';
import type { FixPlan, ProposedTrust } from '../remediation/types.js';

const ROLE: Record<ProposedTrust['role'], string> = {
  root: 'root',
  intermediate: 'intermediate',
  'pinned-leaf': 'pinned self-signed leaf',
};

function verdict(plan: FixPlan): string {
  if (plan.verified === true) {
    return plan.verifiedBy === 'files'
      ? 'fix verified: yes (the same chain judged again with this plan: nginx would verify)'
      : 'fix verified: yes (a second handshake judged with this plan: nginx would verify and proxy)';
  }
  if (plan.verified === false) {
    const first = plan.manual?.length ? 'the manual steps above come first; until they are done ' : 'with this plan ';
    return `fix verified: no (${first}nginx would still log: ${plan.verifyError ?? 'an error'})`;
  }
  if (plan.alreadyOk) return 'fix verified: yes (nothing to fix: nginx already verifies and proxies with the current settings)';
  if (!plan.nginxFixable) return 'fix verified: no (the fix is on the upstream; rerun tlsdoctor once it is done)';
  if (plan.manual?.length) return 'fix verified: no (the manual steps above come first; rerun tlsdoctor after them)';
  return 'fix verified: no (not checked)';
}

/** Where the trusted-certificate line's file must be before `nginx -t`, when tlsdoctor did not put it there. */
function placementLines(plan: FixPlan): string[] {
  const f = plan.trustedFile;
  if (f?.state !== 'to-install') return [];
  return [
    `    # ${f.path} does not exist yet: nothing was written. Rerun with --out DIR [--install-path PATH] to get trusted-ca.pem,`,
    '    # copy it to that path on the nginx host, then nginx -t (until then nginx refuses to start with this line).',
  ];
}

/**
 * nginx verifies and proxies with the current settings and bundle: nothing to change. The directives it relies on
 * are one line (for a location where proxy_ssl_verify is still off); optional upstream advice stays.
 */
function nothingToDo(plan: FixPlan): string[] {
  const out = ['Fix: nothing to do: nginx verifies the chain and proxies with these settings.'];
  out.push(`  Where proxy_ssl_verify is off, the lines that make it verify: ${plan.directives.map((d) => d.line).join(' ')}`);
  for (const c of plan.upstreamChanges) out.push(`  Upstream (optional): ${c}`);
  return out;
}

export function fixText(plan: FixPlan): string[] {
  if (plan.alreadyOk && plan.verified === null && plan.trustedFile?.state === 'current' && !plan.manual?.length) return nothingToDo(plan);
  const out: string[] = ['Fix:'];
  if (plan.upstreamChanges.length > 0) {
    const onlyAlternatives = plan.upstreamChanges.every((c) => c.startsWith('Alternatively'));
    out.push(
      !plan.nginxFixable ? '  On the upstream (the only fix):' : onlyAlternatives ? '  On the upstream (optional):' : '  On the upstream (the durable fix):',
    );
    for (const c of plan.upstreamChanges) out.push(`    - ${c}`);
  }
  if (!plan.nginxFixable) {
    out.push(`  nginx-side: no workaround: ${plan.reason ?? 'only the upstream can fix this'}`);
    out.push('    Once the upstream is fixed, nginx needs only:');
  } else {
    out.push(
      plan.upstreamChanges.length > 0
        ? '  nginx-side (does not wait for the upstream): in place of the location\'s proxy_ssl_* lines:'
        : "  nginx-side: in place of the location's proxy_ssl_* lines:",
    );
  }
  for (const d of plan.directives) {
    out.push(`    # ${d.why}`);
    out.push(`    ${d.line}`);
  }
  out.push(...placementLines(plan));
  if (plan.trust.length > 0) {
    out.push(
      plan.trustNotNarrowed
        ? '  Trust (proxy_ssl_trusted_certificate): your current bundle as it is; no chain was seen to narrow it to the anchoring root:'
        : '  Trust (proxy_ssl_trusted_certificate):',
    );
    for (const t of plan.trust) {
      out.push(`    ${ROLE[t.role]}: ${t.subject}`);
      out.push(`      SHA-256 ${opensslFingerprint(t.sha256)}`);
      out.push(`      origin: ${t.origin}; expires ${t.notAfter.slice(0, 10)}`);
      if (t.newlyTrusted) {
        out.push('      NEW: not trusted before. Check this SHA-256 out of band (ask the upstream\'s operator) before trusting it;');
        out.push('      `openssl x509 -noout -fingerprint -sha256 -in FILE` prints it.');
      }
      if (t.warning) out.push(`      WARNING: ${t.warning}`);
    }
  }
  if (plan.alternatives?.length) {
    out.push('  Alternatives that also work (each proven by the trust engine' + (plan.alternatives.some((a) => a.verifiedBy === 'handshake') ? '; nginx-side ones also on a second handshake' : '') + '):');
    for (const a of plan.alternatives) out.push(`    - ${a.summary}${a.verified ? '' : ' (NOT confirmed by the second handshake)'}`);
  }
  for (const n of plan.notProposed ?? []) out.push(`  ${n}`);
  if (plan.manual?.length) {
    out.push('  To do by hand:');
    for (const m of plan.manual) out.push(`    - ${m}`);
  }
  if (plan.files.length > 0) {
    out.push('  Files (written with --out DIR):');
    for (const f of plan.files) out.push(`    ${f.name}: ${f.purpose}`);
  }
  out.push(`  ${verdict(plan)}`);
  if (plan.deadEnds.length > 0) {
    out.push('  Dead ends in your setup:');
    for (const d of plan.deadEnds) out.push(`    - ${d}`);
  }
  return out;
}
