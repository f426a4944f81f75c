/**
 * `tlsdoctor explain [LINE...] [--log FILE|-] [--config FILE]`: what an nginx upstream TLS error-log line means,
 * its likely causes ranked, and the `tlsdoctor probe` command that pinpoints the real one (with the location's
 * settings when --config is given). `--log` groups a whole log by upstream and error.
 *
 * Exit codes (README "Exit codes"): 0 when the line (with --log: at least one line) was recognised, 1 when none
 * was, so a script can tell "nothing tlsdoctor knows" from an explanation; 2 for bad usage or unreadable input.
 */
import { resolve } from 'node:path';
import { parseVersion } from '../../nginx/defaults.js';
import { computeEffectiveSettings } from '../../nginx/effective-settings.js';
import { createSettingsLookup, explainLog, explainLogLine, type ExplainOptions } from '../../nginx/explain.js';
import { renderExplanation, renderLogSummary } from '../../report/explain-text.js';
import { TOOL_VERSION } from '../../report/version.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { loadNginxConfig } from '../read-nginx-config.js';
import { CAP, readInputText, readStdinText } from '../read-input.js';
import { resolveModelledVersion } from '../nginx-options.js';
import { UsageError } from '../usage-error.js';

export interface ExplainCommandOptions {
  log?: string;
  config?: string;
  nginxVersion?: string;
  json?: boolean;
}

export const EXPLAIN_SCHEMA_VERSION = 1;

/** Exit code when no line was recognised: 1, the code probe/verify use for "nginx would fail" (README "Exit codes"). */
const NOTHING_RECOGNISED = EXIT.NGINX_WOULD_FAIL;

/** Error logs can be large; the cap (read-input.ts CAP.log) keeps a mistaken `--log /dev/zero` from eating memory. */
const LOG_INPUT = { label: '--log', cap: CAP.log, expected: 'an error log', tooLargeHint: 'pass the part that matters (tail -n 100000)' };

function readLogFile(file: string, io: CliIO): string {
  return readInputText(resolve(io.cwd, file), { ...LOG_INPUT, display: file });
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
  if (o.log !== undefined) logText = o.log === '-' ? await readStdinText(io, LOG_INPUT) : readLogFile(o.log, io);
  let single: string | undefined;
  if (lineArgs.length > 0) single = lineArgs.join(' ');
  else if (logText === undefined) {
    const text = await readStdinText(io, { label: '', cap: CAP.log, tooLargeHint: LOG_INPUT.tooLargeHint });
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
    return e ? EXIT.OK : NOTHING_RECOGNISED;
  }

  const summary = explainLog(logText ?? '', opts);
  if (o.json) io.stdout(JSON.stringify({ ...header('explain --log'), ...summary }, null, 2) + '\n');
  else {
    io.stdout(renderLogSummary(summary) + '\n');
    if (summary.recognised === 0) io.stdout('No upstream TLS error recognised in this log.\n');
  }
  return summary.recognised > 0 ? EXIT.OK : NOTHING_RECOGNISED;
}
