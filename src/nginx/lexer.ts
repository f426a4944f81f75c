/**
 * nginx's configuration tokenizer, ported from `ngx_conf_read_token` (src/core/ngx_conf_file.c, nginx 1.22-1.27)
 * state for state, so that we split words exactly where nginx does, including its quirks:
 *
 * - `#` starts a comment only where a word could start; `a#b` is one word and `"#"` is a string.
 * - A backslash makes the next character ordinary anywhere; in the word's value `\"` `\'` `\\` lose the
 *   backslash, `\t` `\r` `\n` become control characters and any other `\x` keeps both characters.
 * - A quoted word must be followed by whitespace, `;`, `{` or `)` (the `if (...)` case): `"a"b` is an error.
 * - `{` ends a word (and opens a block) unless it directly follows a `$`: `${b}` and `a${b}c` are one word
 *   (nginx 1.22.1 `nginx -t` agrees: `set $a ${b};` fails only with `unknown "b" variable`).
 * - `}` only closes a block where a word could start; inside a word it is an ordinary character.
 *
 * `*_by_lua_block` bodies are Lua, not nginx syntax: `readLuaBlock` follows lua-nginx-module's own lexer
 * (`ngx_http_lua_conf_read_lua_token`): braces are counted outside Lua strings, long brackets and comments.
 */
import { NginxParseError } from './parse-error.js';

export interface Word {
  value: string;
  /** Line the word starts on. */
  line: number;
}

export type StatementEnd = ';' | '{' | '}' | 'eof';

export interface Statement {
  words: Word[];
  /** `;` simple directive, `{` block start, `}` block end (no words), `eof` end of file (no words). */
  end: StatementEnd;
  /** nginx's current line when the terminator was read: the line nginx names in errors about this statement. */
  endLine: number;
}

const LF = '\n';

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === LF;
}

/** The value of a word as `ngx_conf_read_token` copies it out of the buffer. */
export function unescapeWord(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1];
      if (next === '"' || next === "'" || next === '\\') {
        out += next;
        i += 2;
        continue;
      }
      if (next === 't') {
        out += '\t';
        i += 2;
        continue;
      }
      if (next === 'r') {
        out += '\r';
        i += 2;
        continue;
      }
      if (next === 'n') {
        out += '\n';
        i += 2;
        continue;
      }
    }
    out += ch;
    i += 1;
  }
  return out;
}

export class NginxLexer {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    readonly file: string,
  ) {}

  /** Current line, 1-based, as nginx counts it (`cf->conf_file->line`). */
  get currentLine(): number {
    return this.line;
  }

  private fail(detail: string): never {
    throw new NginxParseError({ detail, file: this.file, line: this.line });
  }

  /** Reads one statement: the words up to `;` or `{`, or a lone `}`, or the end of the file. */
  readStatement(): Statement {
    const text = this.text;
    const words: Word[] = [];
    let needSpace = false;
    let lastSpace = true;
    let sharpComment = false;
    let variable = false;
    let quoted = false;
    let sQuoted = false;
    let dQuoted = false;
    let start = this.pos;
    let startLine = this.line;

    for (;;) {
      if (this.pos >= text.length) {
        if (words.length > 0 || !lastSpace) {
          this.fail('unexpected end of file, expecting ";" or "}"');
        }
        return { words, end: 'eof', endLine: this.line };
      }

      const ch = text[this.pos++];

      if (ch === LF) {
        this.line++;
        if (sharpComment) sharpComment = false;
      }

      if (sharpComment) continue;

      if (quoted) {
        quoted = false;
        continue;
      }

      if (needSpace) {
        if (isSpace(ch)) {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === ';') return { words, end: ';', endLine: this.line };
        if (ch === '{') return { words, end: '{', endLine: this.line };
        if (ch === ')') {
          // `if ($a = "b")`: the `)` becomes a word of its own (it falls through to the last_space branch).
          lastSpace = true;
          needSpace = false;
        } else {
          this.fail(`unexpected "${ch}"`);
        }
      }

      if (lastSpace) {
        if (isSpace(ch)) continue;

        start = this.pos - 1;
        startLine = this.line;

        switch (ch) {
          case ';':
          case '{':
            if (words.length === 0) this.fail(`unexpected "${ch}"`);
            return { words, end: ch, endLine: this.line };
          case '}':
            if (words.length !== 0) this.fail('unexpected "}"');
            return { words, end: '}', endLine: this.line };
          case '#':
            sharpComment = true;
            continue;
          case '\\':
            quoted = true;
            lastSpace = false;
            continue;
          case '"':
            start++;
            dQuoted = true;
            lastSpace = false;
            continue;
          case "'":
            start++;
            sQuoted = true;
            lastSpace = false;
            continue;
          case '$':
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
      } else {
        if (ch === '{' && variable) continue;

        variable = false;

        if (ch === '\\') {
          quoted = true;
          continue;
        }

        if (ch === '$') {
          variable = true;
          continue;
        }

        let found = false;
        if (dQuoted) {
          if (ch === '"') {
            dQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (sQuoted) {
          if (ch === "'") {
            sQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (isSpace(ch) || ch === ';' || ch === '{') {
          lastSpace = true;
          found = true;
        }

        if (found) {
          words.push({ value: unescapeWord(text.slice(start, this.pos - 1)), line: startLine });
          if (ch === ';') return { words, end: ';', endLine: this.line };
          if (ch === '{') return { words, end: '{', endLine: this.line };
        }
      }
    }
  }

  /**
   * Reads a Lua block body after its opening `{` up to the matching `}` and returns the raw Lua text (without the
   * closing brace). Follows lua-nginx-module's lexer: `--[=*[ ... ]=*]` and `--` comments, `[=*[ ... ]=*]` long
   * strings, and '...' / "..." strings with backslash escapes hide braces.
   */
  readLuaBlock(): string {
    const text = this.text;
    const bodyStart = this.pos;
    const startLine = this.line;
    let level = 1;

    const longBracketAt = (i: number): number => {
      // Returns the number of `=` of a long bracket opening `[=*[` at i, or -1.
      if (text[i] !== '[') return -1;
      let j = i + 1;
      while (text[j] === '=') j++;
      return text[j] === '[' ? j - i - 1 : -1;
    };

    const skipTo = (end: number): void => {
      for (let k = this.pos; k < end; k++) if (text[k] === LF) this.line++;
      this.pos = end;
    };

    while (this.pos < text.length) {
      const ch = text[this.pos];

      if (ch === '-' && text[this.pos + 1] === '-') {
        const eq = longBracketAt(this.pos + 2);
        if (eq >= 0) {
          const close = ']' + '='.repeat(eq) + ']';
          const end = text.indexOf(close, this.pos + 4 + eq);
          if (end < 0) {
            throw new NginxParseError({
              detail: `Lua code block missing the closing long bracket "${close}", the inlined Lua code may be too long`,
              file: this.file,
              line: this.line,
            });
          }
          skipTo(end + close.length);
          continue;
        }
        const eol = text.indexOf(LF, this.pos);
        skipTo(eol < 0 ? text.length : eol);
        continue;
      }

      const eq = longBracketAt(this.pos);
      if (eq >= 0) {
        const close = ']' + '='.repeat(eq) + ']';
        const end = text.indexOf(close, this.pos + 2 + eq);
        if (end < 0) {
          throw new NginxParseError({
            detail: `Lua code block missing the closing long bracket "${close}", the inlined Lua code may be too long`,
            file: this.file,
            line: this.line,
          });
        }
        skipTo(end + close.length);
        continue;
      }

      if (ch === '"' || ch === "'") {
        let k = this.pos + 1;
        while (k < text.length && text[k] !== ch) {
          if (text[k] === '\\') k++;
          k++;
        }
        skipTo(Math.min(k + 1, text.length));
        continue;
      }

      if (ch === LF) this.line++;
      this.pos++;

      if (ch === '{') level++;
      else if (ch === '}') {
        level--;
        if (level === 0) return text.slice(bodyStart, this.pos - 1);
      }
    }

    throw new NginxParseError({
      detail: 'unexpected end of file, expecting terminating characters for lua code block',
      file: this.file,
      line: startLine,
    });
  }
}
