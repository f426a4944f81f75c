/**
 * Where a configuration file is, for CI reports (SARIF `artifactLocation.uri`, JUnit `file`): relative to the
 * repository root (`--sarif-root`, default the current directory) so code scanning can put a result on the
 * pull request's line; a file outside that root keeps an absolute `file://` URI (code scanning cannot show it).
 */
import { posix } from 'node:path';

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A URI reference (RFC 3986) for `file`, relative to `root` when inside it. */
export function artifactUri(file: string, root: string): string {
  if (!file.startsWith('/')) return encodePath(file);
  const rel = posix.relative(root, file);
  if (rel !== '' && !rel.startsWith('..') && !posix.isAbsolute(rel)) return encodePath(rel);
  return `file://${encodePath(file)}`;
}

/** The plain relative path (JUnit `file` attributes are paths, not URIs). */
export function artifactPath(file: string, root: string): string {
  if (!file.startsWith('/')) return file;
  const rel = posix.relative(root, file);
  return rel !== '' && !rel.startsWith('..') ? rel : file;
}
