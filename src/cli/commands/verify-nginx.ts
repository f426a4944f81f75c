/**
 * `tlsdoctor verify --nginx-config CONF (--chain NEW.pem [--upstream HOST:PORT] | --ca NEW-BUNDLE.pem [--replaces PATH])`:
 * the pre-deploy check (src/cli/run-predeploy.ts). Option checks and rendering only.
 * Exit codes for CI: 0 every selected location still verifies, 1 some would fail (or could not be judged),
 * 2 usage, 3 internal.
 */
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { readCertFile } from '../read-cert-files.js';
import { runPredeploy } from '../run-predeploy.js';
import { UsageError } from '../usage-error.js';
import { predeployDocument, predeployText } from '../../report/predeploy-text.js';
import { parseSeclevel } from './nginx.js';
import { parseAt } from './probe.js';
import type { VerifyCommandOptions } from './verify.js';

export interface VerifyNginxOptions extends VerifyCommandOptions {
  nginxConfig: string;
  upstream?: string;
  replaces?: string;
  timeout?: string;
}

export async function verifyNginxCommand(o: VerifyNginxOptions, io: CliIO): Promise<number> {
  if (!o.chain && o.ca.length === 0) {
    throw new UsageError('BAD_USAGE', '--nginx-config: give the new chain (--chain NEW.pem) or the new bundle (--ca NEW-BUNDLE.pem), or both');
  }
  if (o.ca.length > 1) throw new UsageError('BAD_USAGE', '--ca: with --nginx-config, give the one new bundle file (nginx reads one proxy_ssl_trusted_certificate)');
  if (o.replaces !== undefined && o.ca.length === 0) throw new UsageError('BAD_USAGE', '--replaces names the file a new bundle replaces: give the bundle with --ca');
  if (o.upstream !== undefined && !o.chain) throw new UsageError('BAD_USAGE', '--upstream selects the locations a new chain is judged for: give the chain with --chain');
  if (o.proxySslName !== undefined) throw new UsageError('BAD_USAGE', "--proxy-ssl-name: with --nginx-config each location's own proxy_ssl_name is used");
  if (o.out !== undefined) throw new UsageError('BAD_USAGE', '--out: not available with --nginx-config (run it per location: tlsdoctor nginx CONF prints the probe command)');
  const timeoutMs = parseDuration(o.timeout ?? '5s', '--timeout');
  if (timeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout must be positive');
  let chain: { file: string; certs: Awaited<ReturnType<typeof readCertFile>>['certs'] } | undefined;
  if (o.chain) {
    const r = await readCertFile(o.chain, '--chain');
    if (r.certs.length === 0) throw new UsageError('INPUT_NOT_CERTIFICATE', `--chain ${o.chain}: holds no certificate`);
    const certs = [...r.certs];
    for (const f of o.untrusted) certs.push(...(await readCertFile(f, '--untrusted')).certs);
    chain = { file: o.chain, certs };
  }
  const report = await runPredeploy(
    {
      configFile: o.nginxConfig,
      chain,
      ca: o.ca[0],
      replaces: o.replaces,
      upstream: o.upstream,
      nginxVersion: o.nginxVersion,
      seclevel: parseSeclevel(o.opensslSeclevel ?? '2'),
      timeoutMs,
      concurrency: 8,
      probe: true,
      // The verdict does not depend on AIA (nginx never fetches): the live probes touch the upstreams only.
      fetch: false,
      fetchPolicy: {},
      warnDays: parseDuration(o.warn ?? '30d', '--warn', 'd') / 86_400_000,
      at: parseAt(o.at, io),
    },
    io,
  );
  io.stdout(o.json ? JSON.stringify(predeployDocument(report), null, 2) + '\n' : predeployText(report));
  return report.rows.every((r) => r.ok === true) ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
