/**
 * `tlsdoctor nginx [FILE | -]`: read nginx's configuration, lint it (no network), then probe every server of
 * every TLS pass directive with exactly the settings nginx uses there, and say what a request to each location
 * gets, why, and the minimal diff that fixes it.
 *
 * Option parsing and rendering only: the pipeline is src/cli/run-nginx.ts.
 */
import { nginxDocument } from '../../report/nginx-json.js';
import { nginxText } from '../../report/nginx-text.js';
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { fetchPolicyFromOptions, type FetchPolicyOptionValues } from '../fetch-policy-options.js';
import { readPool } from '../read-cert-files.js';
import { gateFails, parseLintGateOptions, renderGate, type LintGateOptionValues } from '../lint-gate.js';
import { addressFails } from '../nginx-fleet.js';
import { parseResolverOption } from '../probe-addresses-output.js';
import { runNginx } from '../run-nginx.js';
import { UsageError } from '../usage-error.js';

export interface NginxCommandOptions extends FetchPolicyOptionValues, LintGateOptionValues {
  nginxVersion?: string;
  /** `nginx -V` output of the nginx whose configuration this is (version, OpenSSL). */
  nginxBuild?: string;
  opensslSeclevel: string;
  json?: boolean;
  timeout: string;
  concurrency: string;
  probe: boolean;
  fetch: boolean;
  /** Text: only the locations that fail (the summary counts the others). */
  onlyFailing?: boolean;
  intermediates?: string[];
  allowRootChange?: boolean;
  /** `--resolver ADDR`: resolve upstream names there instead of the system resolver. */
  resolver?: string;
}

function parseConcurrency(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 256) {
    throw new UsageError('BAD_NUMBER', `--concurrency: "${text}" is not a whole number between 1 and 256`);
  }
  return Number(text);
}

export function parseSeclevel(text: string): number {
  const t = text.trim();
  if (!/^[0-5]$/.test(t)) throw new UsageError('BAD_NUMBER', `--openssl-seclevel: "${text}" is not 0..5`);
  return Number(t);
}

export async function nginxCommand(file: string | undefined, o: NginxCommandOptions, io: CliIO): Promise<number> {
  const timeoutMs = parseDuration(o.timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout must be positive');
  const gateOptions = parseLintGateOptions(o, io);
  const resolver = parseResolverOption(o.resolver);
  const pool = o.intermediates?.length ? await readPool(o.intermediates, '--intermediates') : { certs: [], notes: [] };
  for (const n of pool.notes) io.stderr(`tlsdoctor: ${n}\n`);
  const { report, gate, internal } = await runNginx(
    file,
    {
      nginxVersion: o.nginxVersion,
      nginxBuild: o.nginxBuild,
      seclevel: parseSeclevel(o.opensslSeclevel),
      timeoutMs,
      concurrency: parseConcurrency(o.concurrency),
      probe: o.probe,
      fetch: o.fetch,
      fetchPolicy: fetchPolicyFromOptions(o, io),
      pool: pool.certs,
      allowRootChange: !!o.allowRootChange,
      resolver,
      warnMs: gateOptions.warnMs,
    },
    io,
  );
  const f = gateOptions.format;
  io.stdout(
    f === 'sarif' || f === 'junit'
      ? renderGate(f, gate, gateOptions)
      : f === 'json'
        ? JSON.stringify(nginxDocument(report), null, 2) + '\n'
        : nginxText(report, { onlyFailing: o.onlyFailing }),
  );
  if (internal) return EXIT.INTERNAL;
  const failing = report.rows.some((r) => (r.nginx !== null && !r.nginx.ok) || addressFails(r));
  return failing || report.refusesToStart || gateFails(report.lints, gateOptions.failOn) ? EXIT.NGINX_WOULD_FAIL : EXIT.OK;
}
