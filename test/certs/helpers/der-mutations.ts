/**
 * Seeded structure-aware mutations of DER: the TLV tree is read, one or two nodes are changed (a content octet,
 * a prepended/dropped octet, an emptied value, a retagged primitive, a dropped/duplicated/swapped/added child,
 * a retagged constructed node) and the tree is re-encoded with correct lengths. Most mutants stay readable as
 * TLVs, so they probe what a parser checks beyond the framing.
 */
interface Node {
  tag: number;
  content?: Uint8Array;
  kids?: Node[];
}

/** Reads one TLV; OCTET STRINGs that hold exactly one DER SEQUENCE (extension values) are descended into. */
function parse(buf: Uint8Array, p: number, end: number, depth: number): [Node, number] {
  const tag = buf[p++];
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers are not mutated');
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  const cEnd = p + len;
  if (cEnd > end) throw new Error('truncated');
  if ((tag & 0x20) !== 0 && depth < 20) {
    const kids: Node[] = [];
    for (let q = p; q < cEnd; ) {
      const [k, nq] = parse(buf, q, cEnd, depth + 1);
      kids.push(k);
      q = nq;
    }
    return [{ tag, kids }, cEnd];
  }
  if (tag === 0x04 && len > 2 && buf[p] === 0x30) {
    try {
      const [k, nq] = parse(buf, p, cEnd, depth + 1);
      if (nq === cEnd) return [{ tag, kids: [k] }, cEnd];
    } catch {
      // not DER inside: keep the octets
    }
  }
  return [{ tag, content: buf.subarray(p, cEnd) }, cEnd];
}

function encode(n: Node): number[] {
  const body = n.kids ? n.kids.flatMap(encode) : [...n.content!];
  const l = body.length;
  const head: number[] = [];
  if (l < 0x80) head.push(l);
  else {
    for (let x = l; x > 0; x = Math.floor(x / 256)) head.unshift(x & 0xff);
    head.unshift(0x80 | head.length);
  }
  return [n.tag, ...head, ...body];
}

function nodes(n: Node, out: Node[] = []): Node[] {
  out.push(n);
  n.kids?.forEach((k) => nodes(k, out));
  return out;
}

function clone(n: Node): Node {
  return n.kids ? { tag: n.tag, kids: n.kids.map(clone) } : { tag: n.tag, content: Uint8Array.from(n.content!) };
}

const PRIMITIVE_TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1c, 0x1e, 0x80, 0x81, 0x82, 0x86, 0x87];
const CONSTRUCTED_TAGS = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0x30, 0x31, 0x2c, 0x23];
const OCTETS = [0x00, 0xff, 0x80, 0x7f, 0x01, 0x20, 0x30, 0xc0, 0xe0, 0xf8, 0xfe, 0xed, 0xd8];

/** A deterministic generator of mutants of `seeds` (DER certificates). */
export function* mutants(seeds: Uint8Array[], count: number, seed = 1): Generator<Uint8Array> {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  for (let made = 0; made < count; ) {
    const root = parse(pick(seeds), 0, Infinity, 0)[0];
    const times = 1 + Math.floor(rnd() * 2);
    for (let m = 0; m < times; m++) {
      const n = pick(nodes(root));
      const r = rnd();
      if (n.content) {
        const c = Uint8Array.from(n.content);
        if (r < 0.3) {
          if (c.length > 0) c[Math.floor(rnd() * c.length)] = rnd() < 0.5 ? pick(OCTETS) : Math.floor(rnd() * 256);
          n.content = c;
        } else if (r < 0.45) n.content = Uint8Array.from([pick(OCTETS), ...c]);
        else if (r < 0.55) n.content = c.subarray(0, Math.max(0, c.length - 1 - Math.floor(rnd() * 3)));
        else if (r < 0.6) n.content = new Uint8Array(0);
        else if (r < 0.65) n.content = Uint8Array.from([...c, pick(OCTETS)]);
        else n.tag = pick(PRIMITIVE_TAGS);
      } else if (n.kids) {
        const i = Math.floor(rnd() * n.kids.length);
        if (r < 0.25 && n.kids.length > 0) n.kids.splice(i, 1);
        else if (r < 0.45 && n.kids.length > 0) n.kids.splice(i, 0, clone(n.kids[i]));
        else if (r < 0.6 && n.kids.length > 1) {
          const j = Math.min(i, n.kids.length - 2);
          [n.kids[j], n.kids[j + 1]] = [n.kids[j + 1], n.kids[j]];
        } else if (r < 0.75) n.kids.push({ tag: pick(PRIMITIVE_TAGS), content: Uint8Array.of(Math.floor(rnd() * 256)) });
        else n.tag = pick(CONSTRUCTED_TAGS);
      }
    }
    yield Uint8Array.from(encode(root));
    made++;
  }
}
