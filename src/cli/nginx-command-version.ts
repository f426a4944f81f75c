/**
 * The nginx version `tlsdoctor nginx` models, in order: --nginx-version; `nginx -V` output given with
 * --nginx-build FILE; a `nginx version:` line in what standard input held (`nginx -V 2>&1; nginx -T` pasted from
 * another host); the nginx that printed the configuration or the local one (`nginx -v`); the default. A pasted
 * configuration without a version line is modelled with a guess, and the report says so.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseNginxBuildFacts } from '../nginx/build-info.js';
import { DEFAULT_NGINX_VERSION } from '../nginx/defaults.js';
import { coverageWarning } from '../nginx/version-behaviour.js';
import type { NginxRunReport } from '../report/nginx-model.js';
import type { CliIO } from './io.js';
import { findOnPath, nginxVersionOf } from './local-nginx.js';
import { checkedVersionOption } from './nginx-options.js';
import { UsageError } from './usage-error.js';

/** `nginx -V` output is a few kilobytes; anything past this is not it. */
const MAX_BUILD_FILE = 64 * 1024;

export interface NginxCommandVersion {
  version: string;
  source: NginxRunReport['nginxVersionSource'];
  note: string | null;
}

function readBuildFile(file: string, io: CliIO): string {
  let fd: number;
  try {
    fd = openSync(resolve(io.cwd, file), 'r');
  } catch (e) {
    throw new UsageError('FILE_UNREADABLE', `--nginx-build ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const buf = Buffer.alloc(MAX_BUILD_FILE + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_BUILD_FILE) throw new UsageError('FILE_TOO_LARGE', `--nginx-build ${file}: larger than 64 KiB; expected the output of \`nginx -V\``);
    return buf.subarray(0, n).toString('utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError('FILE_UNREADABLE', `--nginx-build ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
}

function withCoverage(v: Omit<NginxCommandVersion, 'note'>, note: string | null = null): NginxCommandVersion {
  const warning = coverageWarning(v.version);
  return { ...v, note: [note, warning].filter(Boolean).join('; ') || null };
}

export async function resolveNginxCommandVersion(
  o: { nginxVersion?: string; nginxBuild?: string },
  loaded: { kind: string; binary?: string; text?: string },
  io: CliIO,
): Promise<NginxCommandVersion> {
  if (o.nginxVersion !== undefined && o.nginxBuild !== undefined) {
    throw new UsageError('BAD_USAGE', '--nginx-version and --nginx-build both name the version: give one');
  }
  if (o.nginxVersion !== undefined) return withCoverage({ version: checkedVersionOption(o.nginxVersion), source: '--nginx-version' });
  if (o.nginxBuild !== undefined) {
    const facts = parseNginxBuildFacts(readBuildFile(o.nginxBuild, io));
    if (!facts.version) throw new UsageError('BAD_INPUT', `--nginx-build ${o.nginxBuild}: no "nginx version: nginx/X.Y.Z" line; expected the output of \`nginx -V 2>&1\``);
    const ssl = facts.builtWith ? `built with ${facts.builtWith}${facts.runningWith ? `, running with ${facts.runningWith}` : ''}` : null;
    return withCoverage({ version: facts.version, source: '--nginx-build' }, ssl);
  }
  const pasted = loaded.kind === 'stdin';
  if (pasted && loaded.text) {
    const facts = parseNginxBuildFacts(loaded.text);
    if (facts.version) return withCoverage({ version: facts.version, source: 'input' });
  }
  const bin = loaded.binary ?? findOnPath('nginx', io.env);
  const local = bin ? await nginxVersionOf(bin) : null;
  // A configuration on standard input may come from another host: the local nginx (or the default) is a guess.
  const guess = pasted
    ? `the version is a guess: the configuration on standard input names none; pass --nginx-version X.Y.Z or --nginx-build FILE (\`nginx -V 2>&1\` of that host)`
    : null;
  if (local) return withCoverage({ version: local, source: 'nginx -v' }, guess);
  return withCoverage({ version: DEFAULT_NGINX_VERSION, source: 'default' }, guess);
}
