/**
 * `tlsdoctor inspect`: what is in certificate files, as data and as text. Pure.
 */
import { ekuNames } from './eku-name.js';
import { daysLeft } from './days-left.js';
import { INVALID_TIME_TEXT } from '../certs/time-text.js';
import type { Cert } from '../certs/cert.js';
import { summarizeCertificate } from '../certs/summary.js';
import { SCHEMA_VERSION } from './probe-json.js';
import { TOOL_VERSION } from './version.js';


export interface InspectedFile {
  file: string;
  certs: Cert[];
  privateKeys: number;
  notes: string[];
}

/** Certificates of one file by subject name DER: issuer links are looked up, not tried pairwise (a hostile
 * bundle of thousands of certificates would otherwise cost millions of signature-free but native checks). */
function bySubject(all: Cert[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  all.forEach((c, i) => m.set(c.subjectDer, [...(m.get(c.subjectDer) ?? []), i]));
  return m;
}

/** At most this many same-name candidates are tried per certificate: a file of thousands of look-alike names
 * stays linear. Real files have one or two. */
const MAX_ISSUER_CANDIDATES = 32;

function issuedByIndex(c: Cert, index: number, all: Cert[], subjects: Map<string, number[]>): number[] {
  // A duplicate of the certificate itself is reported as such (duplicateOf), not as its issuer.
  const candidates = (subjects.get(c.issuerDer) ?? []).filter((i) => i !== index && all[i].sha256 !== c.sha256);
  return candidates.slice(0, MAX_ISSUER_CANDIDATES).filter((i) => checkIssued(all[i], c));
}

function checkIssued(issuer: Cert, subject: Cert): boolean {
  try {
    return subject.native.checkIssued(issuer.native);
  } catch {
    return false;
  }
}

function certEntry(c: Cert, index: number, at: Date, links: { issuedBy: number[][]; issues: number[][]; firstBySha: Map<string, number> }) {
  const s = summarizeCertificate(c);
  const issuedBy = links.issuedBy[index];
  const issues = links.issues[index];
  const duplicateOf = links.firstBySha.get(c.sha256) ?? index;
  return {
    index,
    subject: s.subject,
    issuer: s.issuer,
    serial: s.serial,
    sha256: s.sha256,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    daysLeft: daysLeft(c.notAfter.getTime() - at.getTime()),
    expired: c.notAfter.getTime() < at.getTime(),
    notYetValid: c.notBefore.getTime() > at.getTime(),
    selfSigned: c.selfSigned,
    isCa: !!c.basicConstraints?.ca,
    pathLen: c.basicConstraints?.pathLen ?? null,
    keyType: s.keyType,
    signatureAlgorithm: c.signature.name,
    dnsNames: c.subjectAltNames?.dns ?? [],
    ipAddresses: c.subjectAltNames?.ip ?? [],
    emails: c.subjectAltNames?.email ?? [],
    uris: c.subjectAltNames?.uri ?? [],
    keyUsage: c.keyUsage ?? null,
    extKeyUsage: c.extKeyUsage ?? null,
    subjectKeyId: c.subjectKeyId ?? null,
    authorityKeyId: c.authorityKeyId?.keyId ?? null,
    aiaCaIssuers: c.aia.caIssuers,
    ocsp: c.aia.ocsp,
    crlDistributionPoints: c.crlDistributionPoints,
    malformed: c.malformed,
    issuedBy,
    issues,
    duplicateOf: duplicateOf !== index ? duplicateOf : null,
  };
}

function entries(all: Cert[], at: Date) {
  const subjects = bySubject(all);
  const issuedBy = all.map((c, i) => issuedByIndex(c, i, all, subjects));
  const issues: number[][] = all.map(() => []);
  issuedBy.forEach((list, i) => list.forEach((j) => issues[j].push(i)));
  const firstBySha = new Map<string, number>();
  all.forEach((c, i) => firstBySha.has(c.sha256) || firstBySha.set(c.sha256, i));
  return all.map((c, i) => certEntry(c, i, at, { issuedBy, issues, firstBySha }));
}

export function inspectDocument(files: InspectedFile[], at: Date) {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'tlsdoctor', version: TOOL_VERSION },
    command: 'inspect',
    at: at.toISOString(),
    files: files.map((f) => ({
      file: f.file,
      certificateCount: f.certs.length,
      privateKeys: f.privateKeys,
      notes: f.notes,
      certificates: entries(f.certs, at),
    })),
  };
}

export function inspectText(files: InspectedFile[], at: Date): string {
  const doc = inspectDocument(files, at);
  const lines: string[] = [];
  for (const f of doc.files) {
    lines.push(`${f.file}: ${f.certificateCount} certificate(s)${f.privateKeys ? `, ${f.privateKeys} private key(s) (not shown)` : ''}`);
    for (const n of f.notes) lines.push(`  note: ${n}`);
    for (const c of f.certificates) {
      lines.push('');
      lines.push(`  #${c.index} ${c.subject}${c.duplicateOf !== null ? `   (duplicate of #${c.duplicateOf})` : ''}`);
      lines.push(`     issuer    ${c.issuer}${c.selfSigned ? '  (self-signed)' : ''}`);
      // An unreadable Time (certTimeText: `invalid`) fails verification with OpenSSL's error 13/14.
      const unreadable = c.notBefore === INVALID_TIME_TEXT || c.notAfter === INVALID_TIME_TEXT;
      const status = unreadable
        ? 'INVALID: a time OpenSSL cannot read'
        : c.expired ? `EXPIRED ${-c.daysLeft} days ago` : c.notYetValid ? 'NOT YET VALID' : `${c.daysLeft} days left`;
      const time = (t: string): string => (t === INVALID_TIME_TEXT ? t : `${t.slice(0, 19)}Z`);
      lines.push(`     validity  ${time(c.notBefore)} .. ${time(c.notAfter)}  (${status})`);
      if (c.dnsNames.length || c.ipAddresses.length) lines.push(`     names     ${[...c.dnsNames.map((n) => `DNS:${n}`), ...c.ipAddresses.map((n) => `IP:${n}`)].join(', ')}`);
      lines.push(`     key       ${c.keyType}; signed with ${c.signatureAlgorithm}`);
      lines.push(`     CA        ${c.isCa ? `yes${c.pathLen !== null ? `, pathlen ${c.pathLen}` : ''}` : 'no'}${c.keyUsage ? `; key usage ${c.keyUsage.join(', ')}` : ''}${c.extKeyUsage ? `; EKU ${ekuNames(c.extKeyUsage).join(', ')}` : ''}`);
      if (c.subjectKeyId || c.authorityKeyId) lines.push(`     key ids   SKI ${c.subjectKeyId ?? '-'}; AKI ${c.authorityKeyId ?? '-'}`);
      if (c.aiaCaIssuers.length || c.crlDistributionPoints.length) lines.push(`     URLs      ${[...c.aiaCaIssuers.map((u) => `caIssuers ${u}`), ...c.crlDistributionPoints.map((u) => `CRL ${u}`)].join('; ')}`);
      if (c.issuedBy.length || c.issues.length) lines.push(`     in file   ${c.issuedBy.length ? `issued by #${c.issuedBy.join(', #')}` : ''}${c.issuedBy.length && c.issues.length ? '; ' : ''}${c.issues.length ? `issues #${c.issues.join(', #')}` : ''}`);
      if (c.malformed.length) lines.push(`     malformed ${c.malformed.join('; ')}`);
      lines.push(`     sha256    ${c.sha256}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
