/**
 * What `nginx -V` says about a build: its version (`nginx version: nginx/1.30.4`) and the OpenSSL it was built and
 * runs with (`built with OpenSSL 3.0.13 30 Jan 2024[ (running with OpenSSL 3.0.15 ...)]`), as
 * ngx_show_version_info() (src/core/nginx.c) prints them. Also finds them in a pasted `nginx -V; nginx -T`.
 */

export interface NginxBuildFacts {
  /** `1.30.4`, or null when no `nginx version:` line is there. */
  version: string | null;
  /** `OpenSSL 3.0.13 30 Jan 2024`, or null. */
  builtWith: string | null;
  /** The library it runs with when nginx says it differs, else null. */
  runningWith: string | null;
}

export function parseNginxBuildFacts(text: string): NginxBuildFacts {
  const version = /^nginx version: [^/\s]+\/(\d+\.\d+\.\d+)/m.exec(text)?.[1] ?? null;
  const built = /^built with (\S+ [^\s(]+(?: [^\n(]*?)?)(?: \(running with ([^)]*)\))?\s*$/m.exec(text);
  return { version, builtWith: built?.[1]?.trim() ?? null, runningWith: built?.[2]?.trim() ?? null };
}
