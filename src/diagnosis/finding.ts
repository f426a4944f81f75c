import { FINDING_CODES, type CertRef, type EvidenceValue, type Finding, type FindingCode } from './codes.js';

/** Build a finding with the catalogue's severity. */
export function finding(code: FindingCode, evidence: Record<string, EvidenceValue>, cert?: CertRef): Finding {
  return cert ? { code, severity: FINDING_CODES[code].severity, cert, evidence } : { code, severity: FINDING_CODES[code].severity, evidence };
}
