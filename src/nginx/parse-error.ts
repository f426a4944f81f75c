/**
 * The one exception the nginx reader throws. Findings are data; this is for input nginx itself would refuse to
 * read (STYLE.md 5): the message is nginx's own wording where nginx has one, ending in ` in FILE:LINE`
 * exactly as `ngx_conf_log_error` prints it (src/core/ngx_conf_file.c), so a user can grep for it.
 */

export type NginxParseReason =
  /** A tokenizer or block-structure error nginx reports the same way (`unexpected "}"`, `unexpected end of file`...). */
  | 'syntax'
  /** An `include` names a file that cannot be read (nginx: `open() "..." failed`). */
  | 'include-missing'
  /** A file includes itself, directly or through others: nginx would recurse until it runs out of descriptors. */
  | 'include-loop'
  /** Includes nested deeper than the bound we allow. */
  | 'include-depth'
  /** Blocks nested deeper than the bound we allow (parse-config.ts DEFAULT_MAX_BLOCK_DEPTH). */
  | 'block-depth'
  /** The main file itself cannot be read. */
  | 'file-missing';

export class NginxParseError extends Error {
  readonly code = 'NGINX_PARSE' as const;
  readonly reason: NginxParseReason;
  readonly file: string;
  readonly line: number;
  /** nginx's message without the location suffix, e.g. `unexpected "}"`. */
  readonly detail: string;

  constructor(params: { detail: string; file: string; line: number; reason?: NginxParseReason; cause?: unknown }) {
    // Line 0: no position (the main file itself could not be opened), printed without one as nginx does.
    const where = params.line > 0 ? ` in ${params.file}:${params.line}` : '';
    super(escapeControls(`${params.detail}${where}`), params.cause === undefined ? undefined : { cause: params.cause });
    this.name = 'NginxParseError';
    this.reason = params.reason ?? 'syntax';
    this.file = params.file;
    this.line = params.line;
    this.detail = params.detail;
  }
}

/**
 * The CLI prints the message as one line on stderr, but a quoted word may hold any character (`include "a\nb";`
 * is read as a path with a newline, and nginx echoes it raw in `open() "..." failed`). Control characters become
 * `\xNN` / `\uNNNN`, the rule of `oneLine` in src/certs/input-error.ts.
 */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
