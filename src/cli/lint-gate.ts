/**
 * The configuration checks as a CI gate (`tlsdoctor nginx --no-probe`, `tlsdoctor lint`): the options
 * (`--format`, `--fail-on`, `--sarif-root`, `--warn`), the bundle facts the lints need, the inline suppressions
 * read from the configuration texts, and the rendering of the CI formats. The lints themselves are
 * src/nginx/lints.ts; which exit code a result gets is `gateFails` here, used by the nginx command's exit code.
 */
import { resolve } from 'node:path';
import { readCertificateBlobs } from '../certs/load.js';
import { parseCertificate } from '../certs/parse.js';
import type { AnyLintFinding, LintSeverity } from '../nginx/lints.js';
import { applySuppressions, findSuppressions, type GateResult } from '../nginx/suppressions.js';
import type { BundleCertFacts } from '../nginx/trusted-bundle-facts.js';
import { junitXml } from '../report/junit.js';
import { sarifLog } from '../report/sarif.js';
import { TOOL_VERSION } from '../report/version.js';
import { parseDuration } from './duration.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage-error.js';

export type GateFormat = 'text' | 'json' | 'sarif' | 'junit';

export interface LintGateOptionValues {
  format?: string;
  json?: boolean;
  failOn?: string;
  sarifRoot?: string;
  warn?: string;
}

export interface LintGateOptions {
  format: GateFormat;
  failOn: LintSeverity;
  /** Absolute directory SARIF/JUnit paths are relative to. */
  root: string;
  warnMs: number;
}

const FORMATS: GateFormat[] = ['text', 'json', 'sarif', 'junit'];
const FAIL_ON: LintSeverity[] = ['error', 'warning', 'info'];

export function parseLintGateOptions(o: LintGateOptionValues, io: CliIO): LintGateOptions {
  const format = (o.format ?? (o.json ? 'json' : 'text')) as GateFormat;
  if (!FORMATS.includes(format)) throw new UsageError('BAD_FORMAT', `--format: "${o.format}" is not one of ${FORMATS.join(', ')}`);
  if (o.json && format !== 'json') throw new UsageError('BAD_FORMAT', `--json and --format ${format} contradict each other: give one`);
  const failOn = (o.failOn ?? 'error') as LintSeverity;
  if (!FAIL_ON.includes(failOn)) throw new UsageError('BAD_FAIL_ON', `--fail-on: "${o.failOn}" is not one of ${FAIL_ON.join(', ')}`);
  const warnMs = parseDuration(o.warn ?? '30d', '--warn', 'd');
  return { format, failOn, root: resolve(io.cwd, o.sarifRoot ?? '.'), warnMs };
}

/** A bundle's certificates as the facts src/nginx/trusted-bundle-facts.ts needs; unparsable ones are left out. */
export function bundleFacts(bytes: Uint8Array): BundleCertFacts[] {
  let ders: Uint8Array[];
  try {
    ders = readCertificateBlobs(bytes, 'bundle').ders;
  } catch {
    return [];
  }
  const out: BundleCertFacts[] = [];
  for (const der of ders) {
    try {
      const c = parseCertificate(der);
      out.push({
        subject: c.subject,
        subjectDer: c.subjectDer,
        issuerDer: c.issuerDer,
        selfSigned: c.selfSigned,
        isCa: c.basicConstraints?.ca === true,
        notAfter: c.notAfter,
        sha256: c.sha256,
      });
    } catch {
      // nginx's OpenSSL would refuse it too; TRUSTED_FILE_* and the probe report unreadable bundles.
    }
  }
  return out;
}

/** The findings after the inline suppressions of every configuration file. */
export function applyInlineSuppressions(lints: AnyLintFinding[], texts: Map<string, string>): GateResult {
  return applySuppressions(lints, [...texts].flatMap(([file, text]) => findSuppressions(file, text)));
}

const RANK: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Whether the gate fails: a finding that counts, at or above --fail-on (README "Exit codes"). */
export function gateFails(findings: AnyLintFinding[], failOn: LintSeverity): boolean {
  return findings.some((f) => RANK[f.severity] <= RANK[failOn]);
}

/** SARIF or JUnit output of a gate result. */
export function renderGate(format: 'sarif' | 'junit', gate: GateResult, o: LintGateOptions): string {
  if (format === 'sarif') {
    return JSON.stringify(sarifLog({ findings: gate.findings, suppressed: gate.suppressed, toolVersion: TOOL_VERSION, root: o.root }), null, 2) + '\n';
  }
  return junitXml({ findings: gate.findings, suppressed: gate.suppressed, failOn: o.failOn, root: o.root });
}
