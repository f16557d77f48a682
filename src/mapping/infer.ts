/**
 * Learn field definitions from sample payloads ("infer schema from sample"), the way QEasy marks auto-generated
 * fields: `label` = the field name, `describe: "_autoFillResponse"`. Arrays of objects get `children` whose
 * fields are dotted (`order_list.oid`), as on the seed page; several samples are merged (a field that is an
 * integer in one and a decimal in another becomes float; mixed scalars become string).
 */
import type { MetaParam } from '../metadata/types.ts';
import { childKey, normaliseParams } from './params.ts';
import { isPlainObject } from './path.ts';
import { CANONICAL_DATE, CANONICAL_DATETIME, parseDateText, DEFAULT_TZ } from './time.ts';

export const AUTOFILL = '_autoFillResponse';

type Kind = 'null' | 'string' | 'int' | 'float' | 'boolean' | 'datetime' | 'date' | 'object' | 'array';

interface Shape {
  kind: Kind;
  /** For objects and arrays of objects: the merged shape of their fields, in first-seen order. */
  fields?: Map<string, Shape>;
}

const ISO_DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function shapeOf(v: unknown): Shape {
  if (v === null || v === undefined) return { kind: 'null' };
  if (typeof v === 'string') {
    if (CANONICAL_DATETIME.test(v) || (ISO_DT.test(v) && parseDateText(v, DEFAULT_TZ) !== undefined)) return { kind: 'datetime' };
    if (CANONICAL_DATE.test(v)) return { kind: 'date' };
    return { kind: 'string' };
  }
  if (typeof v === 'number') return { kind: Number.isInteger(v) ? 'int' : 'float' };
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (Array.isArray(v)) {
    const objs = v.filter(isPlainObject);
    if (objs.length === 0) return { kind: 'array' };
    let fields = new Map<string, Shape>();
    for (const o of objs) fields = mergeShapeFields(fields, fieldsOf(o));
    return { kind: 'array', fields };
  }
  if (isPlainObject(v)) return { kind: 'object', fields: fieldsOf(v) };
  return { kind: 'string' };
}

function fieldsOf(o: Record<string, unknown>): Map<string, Shape> {
  const m = new Map<string, Shape>();
  for (const [k, v] of Object.entries(o)) m.set(k, shapeOf(v));
  return m;
}

function mergeShapeFields(a: Map<string, Shape>, b: Map<string, Shape>): Map<string, Shape> {
  const out = new Map(a);
  for (const [k, s] of b) out.set(k, out.has(k) ? mergeShape(out.get(k)!, s) : s);
  return out;
}

function mergeShape(a: Shape, b: Shape): Shape {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === b.kind) {
    if (a.fields || b.fields) return { kind: a.kind, fields: mergeShapeFields(a.fields ?? new Map(), b.fields ?? new Map()) };
    return a;
  }
  const num = new Set(['int', 'float']);
  if (num.has(a.kind) && num.has(b.kind)) return { kind: 'float' };
  const time = new Set(['datetime', 'date']);
  if (time.has(a.kind) && time.has(b.kind)) return { kind: 'datetime' };
  if (a.kind === 'array' || b.kind === 'array') return a.kind === 'array' ? a : b;
  if (a.kind === 'object' || b.kind === 'object') return a.kind === 'object' ? a : b;
  return { kind: 'string' };
}

function toParams(fields: Map<string, Shape>, prefix: string): MetaParam[] {
  const out: MetaParam[] = [];
  for (const [key, s] of fields) {
    const field = prefix ? `${prefix}.${key}` : key;
    const p: MetaParam = { field, label: key, type: s.kind === 'null' ? 'string' : s.kind, describe: AUTOFILL, value: null };
    if (s.fields && s.fields.size) p.children = toParams(s.fields, field);
    out.push(p);
  }
  return out;
}

/** Field definitions guessed from one sample object (or a list of samples, merged). */
export function inferFields(sample: unknown): MetaParam[] {
  const samples = Array.isArray(sample) ? sample.filter(isPlainObject) : isPlainObject(sample) ? [sample] : [];
  let fields = new Map<string, Shape>();
  for (const s of samples) fields = mergeShapeFields(fields, fieldsOf(s));
  return toParams(fields, '');
}

/**
 * Merge inferred fields into existing ones: existing definitions win (labels, types, values, required flags a
 * person set are kept); fields only the sample has are added (after the existing ones, recursively in children).
 */
export function mergeFields(existing: MetaParam[], inferred: MetaParam[]): MetaParam[] {
  return mergeLevel(normaliseParams(existing ?? []), inferred ?? [], undefined, undefined);
}

function mergeLevel(existing: MetaParam[], inferred: MetaParam[], exParent: string | undefined, inParent: string | undefined): MetaParam[] {
  const byKey = new Map<string, MetaParam>();
  for (const p of inferred) byKey.set(childKey(p.field, inParent), p);
  const seen = new Set<string>();
  const out = existing.map((p) => {
    const key = childKey(p.field, exParent);
    seen.add(key);
    const inf = byKey.get(key);
    if (!inf) return p;
    const merged: MetaParam = { ...p };
    if (inf.children?.length) merged.children = mergeLevel(p.children ?? [], inf.children, p.field, inf.field);
    // An autofilled field whose type was never curated follows what the data shows.
    if (p.type === undefined && inf.type !== undefined) merged.type = inf.type;
    return merged;
  });
  for (const p of inferred) {
    const key = childKey(p.field, inParent);
    if (seen.has(key)) continue;
    // Re-root children names under the existing parent's field when it differs.
    out.push(exParent !== undefined && exParent !== inParent ? reroot(p, inParent, exParent) : p);
  }
  return out;
}

function reroot(p: MetaParam, from: string | undefined, to: string): MetaParam {
  const key = childKey(p.field, from);
  const field = `${to}.${key}`;
  return { ...p, field, ...(p.children ? { children: p.children.map((c) => reroot(c, p.field, field)) } : {}) };
}
