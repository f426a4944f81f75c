/**
 * A strict, small XML 1.0 reader for the JUnit reports: elements, attributes (quoted, unique), the five
 * predefined entities and numeric references, comments, the XML declaration. It throws on anything not
 * well-formed (unbalanced or crossed tags, a raw `<` or `&` in text, two roots), which is what the tests assert.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;

function decode(raw: string, where: string): string {
  if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`not well-formed: raw < or & in ${where}`);
  return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error('not well-formed: text outside the root element');
    if (stack.length > 0) stack[stack.length - 1].text += decode(text, 'text');
    if (lt === -1) break;
    if (xml.startsWith('<!--', lt)) {
      i = xml.indexOf('-->', lt) + 3;
      continue;
    }
    if (xml[lt + 1] === '/') {
      const end = xml.indexOf('>', lt);
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`not well-formed: </${name}> closes <${open?.name ?? 'nothing'}>`);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(xml.slice(lt + 1));
    if (!m) throw new Error(`not well-formed: bad tag at ${lt}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    let j = lt + 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))![0].length;
      j += ws;
      if (xml.startsWith('/>', j) || xml[j] === '>') break;
      const a = /^([A-Za-z_:][A-Za-z0-9_.:-]*)\s*=\s*(["'])/.exec(xml.slice(j));
      if (!a || ws === 0) throw new Error(`not well-formed: bad attribute in <${el.name}>`);
      const close = xml.indexOf(a[2], j + a[0].length);
      if (close === -1) throw new Error('not well-formed: unterminated attribute');
      if (a[1] in el.attrs) throw new Error(`not well-formed: duplicate attribute ${a[1]}`);
      el.attrs[a[1]] = decode(xml.slice(j + a[0].length, close), `attribute ${a[1]}`);
      j = close + 1;
    }
    if (stack.length > 0) stack[stack.length - 1].children.push(el);
    else if (root) throw new Error('not well-formed: two root elements');
    else root = el;
    if (xml.startsWith('/>', j)) i = j + 2;
    else {
      stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 0 || !root) throw new Error(`not well-formed: <${stack[stack.length - 1]?.name ?? 'root'}> not closed`);
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
