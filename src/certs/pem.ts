/**
 * PEM text in and out (RFC 7468), read the way OpenSSL's `PEM_read_bio_ex` reads it, because that is what
 * nginx's `proxy_ssl_trusted_certificate` goes through (`SSL_CTX_load_verify_locations` →
 * `X509_load_cert_crl_file` → `PEM_X509_INFO_read_bio`):
 * - a block starts at a line that *begins* with `-----BEGIN ` and ends with `-----` (trailing whitespace and CR
 *   stripped); every other line outside a block is ignored, which is why `openssl x509 -text` output and `# ...`
 *   comments between blocks are harmless, and why `junk-----BEGIN CERTIFICATE-----` is not a block;
 * - a UTF-8 byte-order mark before the first line is skipped (OpenSSL 3.0 does; checked with `openssl verify -CAfile`);
 * - the END line must carry the same label (`PEM_R_BAD_END_LINE` otherwise);
 * - whitespace inside the base64 is skipped (`EVP_DecodeUpdate` treats it as B64_WS), padding is required
 *   (`EVP_DecodeFinal` fails on a partial quantum).
 */
import { InputError, oneLine } from './input-error.js';

/** One `-----BEGIN X----- ... -----END X-----` block. */
export interface PemBlock {
  /** The label between `BEGIN ` and `-----`, e.g. `CERTIFICATE`. */
  label: string;
  /** 1-based position among all blocks of the file, whatever their label: what error messages cite. */
  index: number;
  /** 1-based line number of the BEGIN line. */
  line: number;
  /**
   * The lines between BEGIN and END, untouched. Undefined for private-key blocks: their content is never
   * kept, so it cannot leak into an error message, a warning or a report.
   */
  body?: string[];
}

/** `PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, ... */
export function isPrivateKeyLabel(label: string): boolean {
  return /(^|\s)PRIVATE KEY$/.test(label);
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const TAIL = '-----';

/**
 * Splits PEM text into blocks. Throws `INPUT_MALFORMED_PEM` for a block without its END line (a truncated
 * file) or with a mismatched END line. Text outside blocks is ignored. Linear in the input size.
 */
export function readPemBlocks(text: string, file: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: PemBlock | undefined;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : text.startsWith('\u00ef\u00bb\u00bf') ? 3 : 0; // BOM (UTF-16 / latin1-decoded UTF-8)
  let lineNo = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    lineNo++;
    // OpenSSL strips every trailing character <= ' ' (CR, spaces, tabs) before comparing.
    let endOfLine = nl;
    while (endOfLine > pos && text.charCodeAt(endOfLine - 1) <= 0x20) endOfLine--;
    const line = text.slice(pos, endOfLine);
    pos = nl + 1;

    const isBegin = line.startsWith(BEGIN) && line.length >= BEGIN.length + TAIL.length && line.endsWith(TAIL);
    if (open === undefined) {
      if (isBegin) {
        const label = line.slice(BEGIN.length, line.length - TAIL.length);
        open = { label, index: blocks.length + 1, line: lineNo, body: isPrivateKeyLabel(label) ? undefined : [] };
      }
      continue;
    }
    if (line.startsWith(END)) {
      if (line !== `${END}${open.label}${TAIL}`) {
        throw new InputError('INPUT_MALFORMED_PEM', file, `${describeBlock(open)}: END line at line ${lineNo} does not match its BEGIN line`);
      }
      blocks.push(open);
      open = undefined;
      continue;
    }
    if (isBegin) {
      throw new InputError('INPUT_MALFORMED_PEM', file, `${describeBlock(open)}: no END line before the next BEGIN line at line ${lineNo}`);
    }
    open.body?.push(line);
  }
  if (open !== undefined) {
    throw new InputError('INPUT_MALFORMED_PEM', file, `${describeBlock(open)}: no END line (the file is truncated?)`);
  }
  return blocks;
}

/**
 * Decodes a block's base64. Throws `INPUT_MALFORMED_PEM` naming the block and the first bad line: RFC 1421
 * headers (`Proc-Type:`), URL-safe base64, stray characters, missing padding, or an empty body.
 */
export function decodePemBody(block: PemBlock, file: string): Uint8Array {
  const lines = block.body ?? [];
  const joined = lines.join('');
  // Fast path, for a bundle's 150 blocks: text that is its own canonical encoding is valid base64 with its padding.
  // Anything else (whitespace inside a line, non-zero trailing bits, errors) takes the checks below.
  const quick = Buffer.from(joined, 'base64');
  if (joined.length > 0 && quick.toString('base64') === joined) return new Uint8Array(quick);
  const b64 = joined.replace(/[ \t\r\n\f\v]+/g, '');
  if (b64.length === 0) {
    throw new InputError('INPUT_MALFORMED_PEM', file, `${describeBlock(block)}: empty block`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    const bad = lines.findIndex((l) => !/^[A-Za-z0-9+/=\s]*$/.test(l));
    const where = bad === -1 ? 'bad padding or length' : `invalid base64 at line ${block.line + 1 + bad}`;
    throw new InputError('INPUT_MALFORMED_PEM', file, `${describeBlock(block)}: ${where}`);
  }
  const buf = Buffer.from(b64, 'base64');
  // A fresh ArrayBuffer of exactly the DER: small Buffers share Node's pool slab, which callers handing
  // `der.buffer` to pkijs or WebCrypto would read past.
  return new Uint8Array(buf);
}

/** `block 2 (CERTIFICATE, line 31)`: how messages name a block. The label is sanitised and cut. */
export function describeBlock(block: Pick<PemBlock, 'index' | 'label' | 'line'>): string {
  return `block ${block.index} (${oneLine(block.label, 40)}, line ${block.line})`;
}

/** RFC 7468 §3 labelchar: printable ASCII except '-', single spaces between words. */
const LABEL = /^[\x21-\x2c\x2e-\x7e]+( [\x21-\x2c\x2e-\x7e]+)*$/;

/** DER → PEM with 64-column base64 lines and `\n` line ends, exactly as `openssl x509` writes it. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  if (!LABEL.test(label)) throw new RangeError(`invalid PEM label: ${oneLine(label, 40)}`);
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = `${BEGIN}${label}${TAIL}\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}${END}${label}${TAIL}\n`;
}

/**
 * A PEM block preceded by `# ...` comment lines (for presented-chain.pem / trusted-ca.pem). OpenSSL (and so
 * nginx, `openssl verify -CAfile`, `openssl x509`) ignores lines outside blocks (see the file comment).
 *
 * Header text usually comes from certificate fields an upstream controls (subject, issuer). Control
 * characters are escaped so a subject holding a newline cannot end the comment and smuggle its own
 * `-----BEGIN CERTIFICATE-----` block into a trust bundle, and every run of five dashes is broken up so
 * no looser PEM reader that searches for `-----BEGIN` anywhere on a line can be fooled either.
 */
export function pemWithHeader(der: Uint8Array, headerLines: string[], label = 'CERTIFICATE'): string {
  const header = headerLines.map((l) => {
    const safe = oneLine(l, 1000).replace(/-----/g, '----\\x2d');
    return safe.length > 0 ? `# ${safe}\n` : '#\n';
  });
  return header.join('') + toPem(der, label);
}
