/**
 * A JSON Schema draft-04 validator for the keywords the SARIF 2.1.0 schema uses (no dependency; the schema is
 * committed in test/helpers/schemas/). A keyword it does not know throws,
 * so a schema using one cannot pass silently. `format` is checked for `uri`/`uri-reference`/`date-time` loosely.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['description', 'title', 'default', 'id', '$schema', 'definitions']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  '$ref', 'type', 'properties', 'additionalProperties', 'required', 'items', 'minItems', 'uniqueItems',
  'minimum', 'maximum', 'pattern', 'format', 'enum', 'anyOf', 'oneOf',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const t = typeOf(v);
  return want === t || (want === 'number' && t === 'integer');
}

export function validateDraft4(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolveRef = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    return ref.slice(2).split('/').reduce<any>((s, k) => s[k], root) as Schema;
  };
  const check = (schema: Schema, v: unknown, path: string): void => {
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k} at ${path}`);
    if (typeof schema.$ref === 'string') return check(resolveRef(schema.$ref), v, path);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(t, v))) return void errors.push(`${path}: expected ${types.join('|')}, got ${typeOf(v)}`);
    }
    if (schema.enum && !(schema.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(v))) errors.push(`${path}: not in enum ${JSON.stringify(schema.enum)}`);
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) errors.push(`${path}: below minimum ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum) errors.push(`${path}: above maximum ${schema.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) errors.push(`${path}: does not match ${schema.pattern}`);
      if ((schema.format === 'uri' && !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(v)) || (schema.format === 'uri-reference' && /\s/.test(v))) {
        errors.push(`${path}: not a ${schema.format}: ${v}`);
      }
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(v))) errors.push(`${path}: not a date-time`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
      if (schema.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errors.push(`${path}: items not unique`);
      if (schema.items && typeof schema.items === 'object') v.forEach((x, i) => check(schema.items as Schema, x, `${path}[${i}]`));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}: missing required ${r}`);
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [k, x] of Object.entries(obj)) {
        if (k in props) check(props[k], x, `${path}.${k}`);
        else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') check(schema.additionalProperties as Schema, x, `${path}.${k}`);
      }
    }
    if (Array.isArray(schema.anyOf)) {
      const ok = (schema.anyOf as Schema[]).some((s) => validateSub(s, v).length === 0);
      if (!ok) errors.push(`${path}: matches none of anyOf`);
    }
    if (Array.isArray(schema.oneOf)) {
      const n = (schema.oneOf as Schema[]).filter((s) => validateSub(s, v).length === 0).length;
      if (n !== 1) errors.push(`${path}: matches ${n} of oneOf`);
    }
  };
  const validateSub = (schema: Schema, v: unknown): string[] => {
    const saved = errors.length;
    check(schema, v, '');
    return errors.splice(saved);
  };
  check(root, value, '$');
  return errors;
}
