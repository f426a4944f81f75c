/**
 * tlsdoctor as a library: acquire (probe, read files), analyse (verifyChain, diagnose), remediate (buildFixPlan),
 * render (probeDocument). The CLI (src/cli/) is one user of these.
 */
export { parseCertificate } from './certs/parse.js';
export type { ParseOptions } from './certs/parse.js';
export { readCertificateBlobsAsync } from './certs/load.js';
export type { Cert, CertSummary } from './certs/cert.js';
export { verifyChain } from './chain/verify.js';
export type { VerifyParams, VerifyResult, VerifyError, PathEntry } from './chain/types.js';
export { diagnose } from './diagnosis/diagnose.js';
export { FINDING_CODES } from './diagnosis/codes.js';
export type { Finding, FindingCode, Severity } from './diagnosis/codes.js';
export type { DiagnoseInput, Diagnosis, NginxOutcome } from './diagnosis/types.js';
export { defaultSettings, defaultProtocols } from './nginx/defaults.js';
export type { NginxSettings } from './nginx/defaults.js';
export { probe } from './probe/probe.js';
export { parseTarget } from './probe/parse-target.js';
export type { ProbeParams, ProbeObservation, TlsProtocol } from './probe/types.js';
export { buildFixPlan, settingsForPlan, trustedForPlan } from './remediation/plan.js';
export type { FixPlan } from './remediation/types.js';
export { probeDocument } from './report/probe-json.js';
