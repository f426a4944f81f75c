/**
 * `tlsdoctor verify --chain FILE --ca FILE`: the probe's judgement on files, offline. Same findings, same
 * nginx prediction, same JSON document, same exit codes as `probe`.
 */
import { resolve } from 'node:path';
import { diagnose } from '../../diagnosis/diagnose.js';
import type { DiagnoseInput } from '../../diagnosis/types.js';
import { placeTrustedFile } from '../../remediation/install-path.js';
import { buildFixPlan, settingsForPlan, trustedForPlan } from '../../remediation/plan.js';
import type { ProbeReport } from '../../report/model.js';
import { probeDocument } from '../../report/probe-json.js';
import { probeText } from '../../report/probe-text.js';
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { settingsFromOptions, withLocalNginxVersion, type NginxOptionValues } from '../nginx-options.js';
import { parseAt } from '../at-option.js';
import { loadTrust, readCertFile, readPool } from '../read-cert-files.js';
import { UsageError } from '../usage-error.js';
import { writeFixFiles } from '../write-files.js';
import { offlineObservation } from '../offline-observation.js';

export interface VerifyCommandOptions extends NginxOptionValues {
  /** Required, except for the pre-deploy check of a new bundle (--nginx-config with --ca). */
  chain?: string;
  untrusted: string[];
  ca: string[];
  intermediates: string[];
  at?: string;
  warn?: string;
  json?: boolean;
  out?: string;
  installPath?: string;
  force?: boolean;
  allowRootChange?: boolean;
}

export async function verifyCommand(o: VerifyCommandOptions & { nginxConfig?: string; upstream?: string; replaces?: string }, io: CliIO): Promise<number> {
  if (o.nginxConfig !== undefined) {
    const { verifyNginxCommand } = await import('./verify-nginx.js');
    return verifyNginxCommand({ ...o, nginxConfig: o.nginxConfig }, io);
  }
  if (o.upstream !== undefined || o.replaces !== undefined) {
    throw new UsageError('BAD_USAGE', `${o.upstream !== undefined ? '--upstream' : '--replaces'}: only with --nginx-config CONF (the pre-deploy check)`);
  }
  if (o.chain === undefined) throw new UsageError('BAD_USAGE', "required option '--chain <file>' not specified (or --nginx-config CONF --ca NEW-BUNDLE.pem for the pre-deploy check)");
  const chain = await readCertFile(o.chain, '--chain');
  if (chain.certs.length === 0) throw new UsageError('INPUT_NOT_CERTIFICATE', `--chain ${o.chain}: holds no certificate`);
  const sent = [...chain.certs];
  const notes = [...chain.notes];
  for (const f of o.untrusted) {
    const r = await readCertFile(f, '--untrusted');
    sent.push(...r.certs);
    notes.push(...r.notes);
  }
  const leaf = sent[0];
  const fallbackName = leaf.subjectAltNames?.dns[0] ?? leaf.commonNames[0];
  // The same version as probe models (the local nginx, else the default), so that both agree offline and live.
  const modelled = await withLocalNginxVersion(o, io.env, (m) => io.stderr(`tlsdoctor: warning: ${m}\n`));
  const settings = settingsFromOptions(modelled, o.proxySslName ? undefined : fallbackName);
  if (!o.proxySslName) notes.push(`no --proxy-ssl-name given: checked the name "${settings.proxySslName}" taken from the certificate itself`);
  const at = parseAt(o.at, io);
  const trust = await loadTrust(o.ca, io);
  notes.push(...trust.notes);
  const pool = o.intermediates.length > 0 ? await readPool(o.intermediates, '--intermediates') : { certs: [], notes: [] };
  notes.push(...pool.notes);

  const input: DiagnoseInput = {
    observation: offlineObservation(sent, settings.proxySslProtocols),
    sent,
    trusted: trust.certs,
    trustSource: trust.trust.source,
    candidates: pool.certs.map((p) => ({ cert: p.cert, source: 'pool', origin: p.origin })),
    settings,
    at,
    warnDays: parseDuration(o.warn ?? '30d', '--warn', 'd') / 86_400_000,
  };
  const diagnosis = diagnose(input);
  const installPath = o.installPath ?? resolve(io.cwd, o.out ?? '.', 'trusted-ca.pem');
  const built = buildFixPlan(input, diagnosis, { installPath, allowRootChange: !!o.allowRootChange });
  const currentBundles = trust.trust.source === 'bundle' ? o.ca.map((f) => resolve(io.cwd, f)) : [];
  const plan = placeTrustedFile(built, { currentBundles, placed: o.out ? 'written' : o.installPath ? 'install-path' : null });
  if (!diagnosis.nginx.ok && plan.nginxFixable) {
    const check = diagnose({ ...input, trusted: trustedForPlan(plan, input), settings: settingsForPlan(plan, settings), trustSource: 'bundle', candidates: [] });
    plan.verified = check.nginx.ok;
    plan.verifiedBy = 'files';
    plan.verifyError = check.nginx.ok ? null : check.nginx.error;
  }
  const report: ProbeReport = {
    command: 'verify',
    at,
    settings,
    trust: trust.trust,
    sent,
    diagnosis,
    fetches: [],
    notes,
    fix: plan,
  };
  if (o.out) {
    const written = writeFixFiles(resolve(io.cwd, o.out), plan.files, !!o.force, o.out);
    report.notes.push(`wrote ${written.join(', ')}`);
  }
  io.stdout(o.json ? JSON.stringify(probeDocument(report), null, 2) + '\n' : probeText(report));
  return diagnosis.nginx.ok ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
