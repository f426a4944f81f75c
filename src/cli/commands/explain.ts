/**
 * `tlsdoctor explain [LINE...] [--log FILE|-] [--config FILE]`: what an nginx upstream TLS error-log line means,
 * its likely causes ranked, and the `tlsdoctor probe` command that pinpoints the real one (with the location's
 * settings when --config is given). `--log` groups a whole log by upstream and error.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseVersion } from '../../nginx/defaults.js';
import { computeEffectiveSettings } from '../../nginx/effective-settings.js';
import { createSettingsLookup, explainLog, explainLogLine, type ExplainOptions } from '../../nginx/explain.js';
import { renderExplanation, renderLogSummary } from '../../report/explain-text.js';
import { TOOL_VERSION } from '../../report/version.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { loadNginxConfig } from '../read-nginx-config.js';
import { resolveModelledVersion } from '../nginx-options.js';
import { UsageError } from '../usage-error.js';

export interface ExplainCommandOptions {
  log?: string;
  config?: string;
  nginxVersion?: string;
  json?: boolean;
}

export const EXPLAIN_SCHEMA_VERSION = 1;

/** Error logs can be large; a cap keeps a mistaken `--log /dev/zero` from eating memory. */
const MAX_LOG_BYTES = 512 * 1024 * 1024;

function readLogFile(file: string, io: CliIO): string {
  const path = resolve(io.cwd, file);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError('FILE_IS_DIRECTORY', `--log ${file}: is a directory, expected an error log`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError('FILE_NOT_FOUND', `--log ${file}: no such file`);
  }
  if (size > MAX_LOG_BYTES) throw new UsageError('FILE_TOO_LARGE', `--log ${file}: larger than 512 MiB; pass the part that matters (tail -n 100000)`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError('FILE_UNREADABLE', `--log ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function header(command: string) {
  return { schemaVersion: EXPLAIN_SCHEMA_VERSION, tool: { name: 'tlsdoctor', version: TOOL_VERSION }, command };
}

export async function explainCommand(lineArgs: string[], o: ExplainCommandOptions, io: CliIO): Promise<number> {
  if (o.log !== undefined && lineArgs.length > 0) throw new UsageError('BAD_USAGE', 'give either a log line or --log FILE, not both');
  if (o.nginxVersion !== undefined && !parseVersion(o.nginxVersion)) {
    throw new UsageError('BAD_VERSION', `--nginx-version: "${o.nginxVersion}" is not a version like 1.26.2`);
  }
  if (o.config === '-' && (o.log === '-' || (o.log === undefined && lineArgs.length === 0))) {
    throw new UsageError('BAD_USAGE', '--config - and the log both want standard input: give one of them as a file');
  }

  const opts: ExplainOptions = {};
  if (o.nginxVersion !== undefined) opts.nginxVersion = o.nginxVersion;
  if (o.config !== undefined) {
    const loaded = await loadNginxConfig(o.config, io);
    // The defaults of the version probe would model (flag, local nginx, default): resolveModelledVersion.
    const modelled = await resolveModelledVersion(o.nginxVersion, io.env);
    if (modelled.warning) io.stderr(`tlsdoctor: warning: ${modelled.warning}\n`);
    const effective = computeEffectiveSettings(loaded.parsed, { nginxVersion: modelled.version });
    opts.settings = createSettingsLookup(effective.upstreams);
  }

  // One line: the arguments (a line split by the shell is joined back), or standard input holding one line.
  let logText: string | undefined;
  if (o.log !== undefined) logText = o.log === '-' ? await io.readStdin() : readLogFile(o.log, io);
  let single: string | undefined;
  if (lineArgs.length > 0) single = lineArgs.join(' ');
  else if (logText === undefined) {
    const text = await io.readStdin();
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) throw new UsageError('EMPTY_INPUT', 'no log line given: pass it as an argument, on standard input, or use --log FILE');
    if (lines.length === 1) single = lines[0];
    else logText = text;
  }

  if (single !== undefined) {
    const e = explainLogLine(single, opts);
    if (o.json) io.stdout(JSON.stringify({ ...header('explain'), recognised: e !== null, explanation: e }, null, 2) + '\n');
    else if (e) io.stdout(renderExplanation(e) + '\n');
    else {
      io.stdout(
        'Not an nginx upstream TLS error line tlsdoctor knows. It recognises [error]/[crit]/[emerg] lines such as ' +
          '"upstream SSL certificate verify error", "does not match", "SSL_do_handshake() failed", "SSL_read() failed", ' +
          '"connect() failed" and "upstream timed out" while connecting or SSL handshaking to upstream.\n',
      );
    }
    return e ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
  }

  const summary = explainLog(logText ?? '', opts);
  if (o.json) io.stdout(JSON.stringify({ ...header('explain --log'), ...summary }, null, 2) + '\n');
  else {
    io.stdout(renderLogSummary(summary) + '\n');
    if (summary.recognised === 0) io.stdout('No upstream TLS error recognised in this log.\n');
  }
  return summary.recognised > 0 ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
