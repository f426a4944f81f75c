/**
 * Test access to the config corpus in test/nginx/configs/: each case directory is served as if it were
 * /etc/nginx, through the same injected reader the CLI will give the parser (node:fs here, in tests only).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGlob, parseConfigFile, type ConfigReader, type ParsedConfig } from '../../src/nginx/parse-config.js';
import type { UpstreamTls } from '../../src/nginx/effective-settings.js';

export const CONFIGS = join(dirname(fileURLToPath(import.meta.url)), 'configs');
export const VIRTUAL_ROOT = '/etc/nginx';

export function caseDir(name: string): string {
  return join(CONFIGS, name);
}

/** A reader that maps /etc/nginx/... onto a corpus case directory. */
export function corpusReader(name: string): ConfigReader {
  const real = (p: string): string | null => (p.startsWith(VIRTUAL_ROOT + '/') ? join(caseDir(name), p.slice(VIRTUAL_ROOT.length + 1)) : null);
  const listDir = (dir: string) => {
    const r = dir === VIRTUAL_ROOT ? caseDir(name) : real(dir);
    if (r === null) return null;
    try {
      return readdirSync(r, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
    } catch {
      return null;
    }
  };
  return {
    readFile: (p) => {
      const r = real(p);
      if (r === null) return null;
      try {
        if (!statSync(r).isFile()) return null;
        return readFileSync(r, 'utf8');
      } catch {
        return null;
      }
    },
    glob: createGlob(listDir),
  };
}

export function parseCase(name: string): ParsedConfig {
  return parseConfigFile(`${VIRTUAL_ROOT}/nginx.conf`, corpusReader(name));
}

export function readCorpusFile(rel: string): string {
  return readFileSync(join(CONFIGS, rel), 'utf8');
}

const short = (file: string) => (file.startsWith(VIRTUAL_ROOT + '/') ? file.slice(VIRTUAL_ROOT.length + 1) : file);

type Src = { source: { file: string; line: number } | null };
const at = (s: Src) => (s.source ? `${short(s.source.file)}:${s.source.line}` : 'default');

/**
 * A compact, readable projection of one upstream entry for the expected-settings tables: every field a reviewer
 * checks, values with where they come from (`file:line` or `default`).
 */
export function project(u: UpstreamTls) {
  const s = u.settings;
  return {
    at: `${short(u.file)}:${u.line}`,
    directive: u.directive,
    pass: u.pass,
    location: u.location,
    server: u.server ? [...u.server.serverName, ...u.server.listen.map((l) => `listen ${l}`)].join(' ') : null,
    upstreamHost: u.upstreamHost,
    upstreamBlock: u.upstreamBlock ? u.upstreamBlock.args[0] : null,
    servers: u.servers.map(
      (x) =>
        `${x.host.includes(':') ? `[${x.host}]` : x.host}:${x.port}` +
        (x.portDefaulted ? ' (default port)' : '') +
        (x.backup ? ' backup' : '') +
        (x.down ? ' down' : ''),
    ),
    verifiedName: u.verifiedName,
    sni: u.sni,
    verify: `${s.verify.value} @ ${at(s.verify)}`,
    trusted: `${s.trustedCertificate.value} @ ${at(s.trustedCertificate)}`,
    trustedPath: u.paths.trustedCertificate,
    depth: `${s.verifyDepth.value} @ ${at(s.verifyDepth)}`,
    name: `${s.name.value} @ ${at(s.name)}`,
    serverName: `${s.serverName.value} @ ${at(s.serverName)}`,
    protocols: `${s.protocols.value.join(' ')} @ ${at(s.protocols)}`,
    ciphers: `${s.ciphers.value} @ ${at(s.ciphers)}`,
    certificate: `${s.certificate.value} @ ${at(s.certificate)}`,
    certificateKey: `${s.certificateKey.value} @ ${at(s.certificateKey)}`,
    sessionReuse: `${s.sessionReuse.value} @ ${at(s.sessionReuse)}`,
    confCommands: `${s.confCommands.value.map((c) => c.join('=')).join(', ')} @ ${at(s.confCommands)}`,
    clientSideTrusted: `${u.clientSideTrustedCertificate.value} @ ${at(u.clientSideTrustedCertificate)}`,
    unresolved: u.unresolved.map((x) => `${x.directive} ${x.value}: ${x.variables.map((v) => '$' + v).join(' ')}`),
    resolvedVariables: u.resolvedVariables.map((x) => `$${x.name}=${x.value} @ ${short(x.file)}:${x.line}`),
  };
}
