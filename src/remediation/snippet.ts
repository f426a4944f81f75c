/**
 * upstream-ssl.conf: the directives as an nginx include file, each preceded by `# why` comments.
 *
 * nginx refuses a directive given twice in one block (`"proxy_ssl_verify_depth" directive is duplicate`), so the
 * file replaces the location's own proxy_ssl_* lines instead of adding to them; it carries every proxy_ssl_*
 * line the upstream needs, so a location holding only proxy_pass plus this include is complete.
 */
import { oneLine } from '../certs/input-error.js';
import type { FixDirective, FixFile } from './types.js';

/**
 * A directive argument as nginx's tokenizer reads it (ngx_conf_read_token): bare when it holds no whitespace,
 * quote, `;`, `{`, `}`, `#` or backslash, else double-quoted with `"` and `\` escaped.
 */
export function nginxArg(value: string): string {
  if (/^[^\s"';{}#\\]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const WIDTH = 100;

/** `# ...` comment lines, wrapped; control characters escaped so no text can end the comment early. */
export function commentLines(text: string, indent = ''): string[] {
  const words = oneLine(text, 2000).split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && indent.length + 2 + cur.length + 1 + w.length > WIDTH) {
      lines.push(cur);
      cur = w;
    } else {
      cur = cur ? `${cur} ${w}` : w;
    }
  }
  if (cur) lines.push(cur);
  return lines.map((l) => `${indent}# ${l}`);
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

export function snippetFile(directives: FixDirective[], target: string, installPath: string): FixFile {
  const dir = dirname(installPath);
  const include = `${dir === '/' ? '' : dir}/upstream-ssl.conf`;
  const lines = [
    ...commentLines(`proxy_ssl_* settings for the upstream ${target}, written by tlsdoctor.`),
    ...commentLines(
      `Use it in place of the location's own proxy_ssl_* lines (nginx refuses a directive given twice): ` +
        `include ${nginxArg(include)}; next to proxy_pass. Then run nginx -t and reload.`,
    ),
    '',
  ];
  for (const d of directives) {
    lines.push(...commentLines(d.why), d.line, '');
  }
  return {
    name: 'upstream-ssl.conf',
    purpose: 'the proxy_ssl_* directives for the location (include it in place of its own proxy_ssl_* lines)',
    content: lines.join('\n'),
  };
}
