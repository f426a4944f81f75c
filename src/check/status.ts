/**
 * The verdict of `tlsdoctor check`, pure: one target's status from its diagnosis and certificate dates, the run's
 * summary, and the exit code. Monitoring-plugin convention (Nagios plugin guidelines; monitoring-plugins
 * lib/utils_base.c): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
import { FINDING_CODES, type Finding } from '../diagnosis/codes.js';
import type { NginxOutcome } from '../diagnosis/types.js';
import { isCritical, isSoon, isWarning } from './thresholds.js';
import type { CheckedCert, CheckResult, CheckStatus, CheckSummary, CheckThresholds } from './types.js';

export const EXIT_FOR_STATUS: Record<CheckStatus, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/**
 * Worst first, as monitoring-plugins' max_state_alt (lib/utils_base.c): CRITICAL > WARNING > UNKNOWN > OK.
 * A fleet with one target that could not be checked and the rest fine is UNKNOWN; any CRITICAL outranks it.
 */
export const URGENCY: CheckStatus[] = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'];

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'OK';
  for (const s of statuses) if (URGENCY.indexOf(s) < URGENCY.indexOf(worst)) worst = s;
  return worst;
}

/** The expiry status of certificate dates alone (absolute or lifetime-relative, thresholds.ts). An expired certificate is CRITICAL. */
export function expiryStatus(certs: CheckedCert[], t: CheckThresholds): CheckStatus {
  let status: CheckStatus = 'OK';
  for (const c of certs) {
    if (c.secondsLeft < 0 || isCritical(c, t)) return 'CRITICAL';
    if (isWarning(c, t)) status = 'WARNING';
  }
  return status;
}

/**
 * CRITICAL when nginx would fail (502/504, or refuse to start) or a certificate expires within --crit;
 * WARNING within --warn; OK otherwise. UNKNOWN is decided by the caller (the check itself failed).
 */
export function targetStatus(nginx: NginxOutcome, certs: CheckedCert[], t: CheckThresholds): CheckStatus {
  if (!nginx.ok) return 'CRITICAL';
  return expiryStatus(certs, t);
}

/**
 * reason[]: the codes of error and warning findings, in the diagnosis' order, without repeats; plus EXPIRES_SOON
 * when a date crossed --warn and the diagnosis did not already say so (client certificates, other thresholds).
 */
export function reasonCodes(findings: Finding[], certs: CheckedCert[], t: CheckThresholds): string[] {
  const out: string[] = [];
  for (const f of findings) {
    if (FINDING_CODES[f.code].severity === 'info') continue;
    if (!out.includes(f.code)) out.push(f.code);
  }
  const soon = certs.some((c) => c.secondsLeft >= 0 && isSoon(c, t));
  const expired = certs.some((c) => c.secondsLeft < 0);
  if (soon && !out.includes('EXPIRES_SOON')) out.push('EXPIRES_SOON');
  if (expired && !out.includes('EXPIRED')) out.push('EXPIRED');
  return out;
}

export function summarize(results: CheckResult[]): CheckSummary {
  const counts: Record<CheckStatus, number> = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  let minSecondsLeft: number | null = null;
  for (const r of results) {
    counts[r.status]++;
    for (const c of [...r.path, ...r.clientCerts]) {
      if (minSecondsLeft === null || c.secondsLeft < minSecondsLeft) minSecondsLeft = c.secondsLeft;
    }
  }
  // No targets at all is a usage error caught before a run; keep the function total anyway.
  const status = results.length === 0 ? 'UNKNOWN' : worstStatus(results.map((r) => r.status));
  return { status, exitCode: EXIT_FOR_STATUS[status], counts, total: results.length, minSecondsLeft };
}
