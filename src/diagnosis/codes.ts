/**
 * The catalogue of finding codes. Codes are a contract (JSON, metrics labels, exit logic): never rename one.
 * English wording lives in src/report/finding-text.ts; the compiler checks every code has an entry there.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Where the durable fix belongs. */
export type FixSide = 'nginx' | 'upstream' | 'either' | 'network' | 'none';

export interface CodeInfo {
  severity: Severity;
  fixSide: FixSide;
  /** The OpenSSL verify codes (X509_V_ERR_*) this finding explains, if any. */
  opensslCodes: number[];
}

export const FINDING_CODES = {
  // connection
  CONNECTION_REFUSED: { severity: 'error', fixSide: 'network', opensslCodes: [] },
  TIMEOUT: { severity: 'error', fixSide: 'network', opensslCodes: [] },
  DNS_FAILURE: { severity: 'error', fixSide: 'network', opensslCodes: [] },
  NOT_TLS: { severity: 'error', fixSide: 'either', opensslCodes: [] },
  PROTOCOL_MISMATCH: { severity: 'error', fixSide: 'either', opensslCodes: [] },
  HANDSHAKE_FAILED: { severity: 'error', fixSide: 'either', opensslCodes: [] },
  CLIENT_CERT_REQUIRED: { severity: 'error', fixSide: 'nginx', opensslCodes: [] },
  CLIENT_CERT_REJECTED: { severity: 'error', fixSide: 'either', opensslCodes: [] },
  CIPHER_MISMATCH: { severity: 'error', fixSide: 'upstream', opensslCodes: [] },
  WEAK_EPHEMERAL_KEY: { severity: 'error', fixSide: 'upstream', opensslCodes: [] },
  CERT_LIST_TOO_LARGE: { severity: 'error', fixSide: 'upstream', opensslCodes: [] },
  NO_HTTP_RESPONSE: { severity: 'error', fixSide: 'upstream', opensslCodes: [] },
  // trust path
  SELF_SIGNED_LEAF: { severity: 'error', fixSide: 'nginx', opensslCodes: [18] },
  UNTRUSTED_ROOT: { severity: 'error', fixSide: 'nginx', opensslCodes: [19] },
  MISSING_INTERMEDIATE: { severity: 'error', fixSide: 'upstream', opensslCodes: [20, 21, 2] },
  UNKNOWN_CA: { severity: 'error', fixSide: 'nginx', opensslCodes: [20, 21] },
  PARTIAL_CHAIN_BUNDLE: { severity: 'error', fixSide: 'nginx', opensslCodes: [2] },
  PINNED_LEAF: { severity: 'error', fixSide: 'nginx', opensslCodes: [20, 21] },
  CHAIN_TOO_DEEP: { severity: 'error', fixSide: 'nginx', opensslCodes: [2, 20, 22] },
  NO_TRUST_BUNDLE: { severity: 'warning', fixSide: 'nginx', opensslCodes: [] },
  // certificate contents
  EXPIRED: { severity: 'error', fixSide: 'upstream', opensslCodes: [10] },
  NOT_YET_VALID: { severity: 'error', fixSide: 'upstream', opensslCodes: [9] },
  WEAK_SIGNATURE: { severity: 'error', fixSide: 'upstream', opensslCodes: [68] },
  WEAK_KEY: { severity: 'error', fixSide: 'upstream', opensslCodes: [66, 67] },
  BAD_PURPOSE: { severity: 'error', fixSide: 'upstream', opensslCodes: [26] },
  INVALID_CA: { severity: 'error', fixSide: 'upstream', opensslCodes: [24, 25, 79, 41] },
  NAME_CONSTRAINT_VIOLATION: { severity: 'error', fixSide: 'upstream', opensslCodes: [47, 48, 49, 50, 51, 52, 53, 54] },
  BAD_SIGNATURE: { severity: 'error', fixSide: 'upstream', opensslCodes: [7, 6, 4] },
  VERIFY_ERROR: { severity: 'error', fixSide: 'either', opensslCodes: [] },
  // names
  NAME_MISMATCH: { severity: 'error', fixSide: 'nginx', opensslCodes: [62] },
  SNI_REQUIRED: { severity: 'error', fixSide: 'nginx', opensslCodes: [] },
  // tolerated by nginx, reported for hygiene
  ROOT_SENT: { severity: 'info', fixSide: 'none', opensslCodes: [] },
  WRONG_ORDER: { severity: 'info', fixSide: 'none', opensslCodes: [] },
  DUPLICATE_CERT: { severity: 'info', fixSide: 'none', opensslCodes: [] },
  EXTRA_CERT: { severity: 'info', fixSide: 'none', opensslCodes: [] },
  /** A sent certificate nginx's path does not use that lies on another path to a root (a cross-signed copy). */
  ALTERNATIVE_PATH: { severity: 'info', fixSide: 'none', opensslCodes: [] },
  EXPIRES_SOON: { severity: 'warning', fixSide: 'upstream', opensslCodes: [] },
} as const satisfies Record<string, CodeInfo>;

export type FindingCode = keyof typeof FINDING_CODES;

/** How a certificate named by a finding is identified in reports. */
export interface CertRef {
  /** Position in the chain as the server sent it, when the server sent it. */
  index?: number;
  /** Where it came from: sent by the server, the trusted bundle, a candidate pool, fetched from AIA. */
  source: 'sent' | 'untrusted' | 'bundle' | 'pool' | 'fetched';
  /** Depth in the path nginx's OpenSSL builds (0 = leaf), when it is in that path. */
  depth?: number;
  subject: string;
  sha256: string;
}

export type EvidenceValue = string | number | boolean | null | string[] | number[];

export interface Finding {
  code: FindingCode;
  severity: Severity;
  cert?: CertRef;
  evidence: Record<string, EvidenceValue>;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Deterministic order: severity, then the catalogue order, then the certificate's depth/index. */
export function sortFindings(findings: Finding[]): Finding[] {
  const order = Object.keys(FINDING_CODES);
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      order.indexOf(a.code) - order.indexOf(b.code) ||
      (a.cert?.depth ?? a.cert?.index ?? -1) - (b.cert?.depth ?? b.cert?.index ?? -1) ||
      (a.cert?.sha256 ?? '').localeCompare(b.cert?.sha256 ?? ''),
  );
}
