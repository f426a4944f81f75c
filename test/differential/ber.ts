/**
 * BER re-encoding for the parity family (generate-parity-cases.ts): a DER element read into a tree, one node changed
 * to a BER form d2i_X509 accepts or refuses, and written back. OpenSSL's template decoder (crypto/asn1/tasn_dec.c)
 * accepts an indefinite length on any constructed encoding (X.690 section 8.1.3.6) and strings in constructed form
 * (section 8.21.5; asn1_collect() concatenates the parts' contents and refuses a constructed part met
 * ASN1_MAX_STRING_NEST = 5 levels below the outer string, so 6 constructed levels are read, 7 are not);
 * ASN1_get_object() refuses an indefinite length on a primitive encoding.
 */
import { readTlv, tlv, type Der } from './der.js';

/** One element: a primitive one carries `content`, a constructed one `children`. */
export interface BerNode {
  tag: number;
  content?: Buffer;
  children?: BerNode[];
  /** Write the length as 0x80 and end the content with the end-of-contents octets 00 00. */
  indefinite?: boolean;
}

/** Reads a DER element (definite lengths only: the generator's own output) into a tree. */
export function readBer(der: Uint8Array): BerNode {
  const t = readTlv(der, 0);
  if ((t.tag & 0x20) === 0) return { tag: t.tag, content: t.content };
  const children: BerNode[] = [];
  for (let p = 0; p < t.content.length; ) {
    const child = readTlv(t.content, p);
    children.push(readBer(t.content.subarray(p, child.end)));
    p = child.end;
  }
  return { tag: t.tag, children };
}

export function writeBer(node: BerNode): Der {
  const content = node.children ? Buffer.concat(node.children.map(writeBer)) : (node.content ?? Buffer.alloc(0));
  if (node.indefinite) return Buffer.concat([Buffer.from([node.tag, 0x80]), content, Buffer.from([0, 0])]);
  return tlv(node.tag, content);
}

/** A copy of `node` with `edit` applied to the element at `path` (child indexes from the top). */
export function editAt(node: BerNode, path: number[], edit: (n: BerNode) => BerNode): BerNode {
  if (path.length === 0) return edit(node);
  const [first, ...rest] = path;
  const children = node.children;
  if (!children || children[first!] === undefined) throw new Error(`no element at index ${String(first)}`);
  return { ...node, children: children.map((c, i) => (i === first ? editAt(c, rest, edit) : c)) };
}

export const indefinite = (n: BerNode): BerNode => ({ ...n, indefinite: true });

/** Every constructed element below and including `node` in indefinite form. */
export function allIndefinite(node: BerNode): BerNode {
  return node.children ? { ...node, indefinite: true, children: node.children.map(allIndefinite) } : node;
}

/**
 * A primitive string element rewritten in constructed form: its content cut into `parts` pieces, each an element of
 * `partTag` (by default the element's own universal tag; X.690 section 8.21.5.4 wants that, asn1_collect() does not
 * check it), nested `nest` levels deep.
 */
export function constructedString(n: BerNode, o: { parts?: number; partTag?: number; nest?: number; indefinite?: boolean } = {}): BerNode {
  const content = n.content ?? Buffer.alloc(0);
  const partTag = o.partTag ?? (n.tag & 0xc0 ? 0x04 : n.tag);
  const count = Math.max(1, Math.min(o.parts ?? 2, content.length));
  const size = Math.ceil(content.length / count);
  let pieces: BerNode[] = [];
  for (let p = 0; p < content.length || pieces.length === 0; p += size) {
    pieces.push({ tag: partTag, content: content.subarray(p, p + size) });
  }
  for (let level = 1; level < (o.nest ?? 1); level++) pieces = [{ tag: partTag | 0x20, children: pieces }];
  return { tag: n.tag | 0x20, children: pieces, ...(o.indefinite ? { indefinite: true } : {}) };
}
