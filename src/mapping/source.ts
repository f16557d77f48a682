/**
 * Source side of a scheme: validate what arrives (pushes and polled rows), filter it (`condition`), explode line
 * tables into rows (`beatFlat`), and read its id and number.
 */
import { ValidationError, type Issue } from '../errors.ts';
import type { MetadataDoc, MetaParam } from '../metadata/types.ts';
import { coercerFor, isKnownType, kindOf } from './coerce.ts';
import { compileCondition, type CompiledCondition } from './condition.ts';
import { childKey, normaliseWithIssues } from './params.ts';
import { compileGetter, isPlainObject, parsePath } from './path.ts';
import { Fail, RC } from './runtime.ts';
import { CANONICAL_DATETIME } from './time.ts';

export interface CompiledSource {
  /** Every issue of a pushed/polled record against the source fields, with paths like `order_list[0].oid`. */
  validate(content: unknown): Issue[];
  /**
   * condition filter (true = keep). In non-strict mode lines that fail a line-table condition are removed from
   * `content` in place, so what is stored is what passed; use `filter()` for a copy instead.
   */
  accept(content: Record<string, unknown>): boolean;
  /** Non-mutating condition filter: the kept document (lines possibly removed) or undefined. */
  filter(content: Record<string, unknown>): Record<string, unknown> | undefined;
  /** beatFlat: one record per line (`details_list_goods` keys, id suffixed `-1`, `-2` …); identity when not configured. */
  flatten(content: Record<string, unknown>): Record<string, unknown>[];
  idOf(content: Record<string, unknown>): string | undefined;
  numberOf(content: Record<string, unknown>): string | undefined;
  /** The fields records are validated against (normalised tree). */
  fields: MetaParam[];
  /** Arrays exploded by beatFlat (empty when not configured). */
  beatFlat: string[];
}

/** Keys beatFlat adds to each row: the 1-based line number and the record id before the suffix. */
export const FLAT_LINE = '_beatFlatLine';
export const FLAT_SOURCE_ID = '_beatFlatSourceId';

type Check = (obj: Record<string, unknown>, prefix: string, issues: Issue[], rc: RC) => void;

export function compileSource(source: MetadataDoc, opts: { basePath?: string } = {}): CompiledSource {
  const base = opts.basePath ?? '';
  const at = (k: string) => (base ? `${base}.${k}` : k);
  const issues: Issue[] = [];
  if (source === null || typeof source !== 'object') {
    throw new ValidationError([{ path: base || '(metadata)', message: 'metadata must be an object' }]);
  }
  const type = typeof source.type === 'string' ? source.type.toUpperCase() : '';
  // Polled sources describe their rows in response[]; pushes (OpenCallback) in request[].
  const isPush = source.api === 'OpenCallback' && Array.isArray(source.request) && source.request.length > 0;
  const useResponse = !isPush && (type === 'QUERY' || !Array.isArray(source.request) || source.request.length === 0);
  const listKey = useResponse ? 'response' : 'request';
  const norm = normaliseWithIssues(source[listKey], at(listKey));
  issues.push(...norm.issues);
  const check = compileChecks(norm.params, at(listKey), undefined, issues);

  let idGet: ((o: unknown) => unknown) | undefined;
  if (source.id !== undefined && source.id !== null && source.id !== '') {
    const segs = typeof source.id === 'string' ? parsePath(source.id) : undefined;
    if (!segs) issues.push({ path: at('id'), message: 'must be a field path' });
    else idGet = compileGetter(segs);
  }
  let numGet: ((o: unknown) => unknown) | undefined;
  if (source.number !== undefined && source.number !== null && source.number !== '') {
    const segs = typeof source.number === 'string' ? parsePath(source.number) : undefined;
    if (!segs) issues.push({ path: at('number'), message: 'must be a field path' });
    else numGet = compileGetter(segs);
  }

  const cond: CompiledCondition | undefined = compileCondition(source.condition, at('condition'), issues);
  const flatArrays = readBeatFlat(source, at, issues);
  if (issues.length) throw new ValidationError(issues);

  const idField = typeof source.id === 'string' && !source.id.includes('.') && !source.id.includes('[') ? source.id : undefined;
  if (flatArrays.length && source.id && !idField) {
    throw new ValidationError([{ path: at('id'), message: 'beatFlat needs a top-level id field to suffix' }]);
  }

  const str = (v: unknown) => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };

  const filter = (content: Record<string, unknown>) => (cond ? cond.filter(content) : content);

  return {
    fields: norm.params,
    beatFlat: flatArrays,
    validate(content) {
      const out: Issue[] = [];
      if (!isPlainObject(content)) return [{ path: '(record)', message: 'a record must be a JSON object' }];
      check(content, '', out, new RC({}, content));
      return out;
    },
    filter,
    accept(content) {
      if (!cond) return true;
      const kept = cond.filter(content);
      if (!kept) return false;
      if (kept !== content) for (const k of Object.keys(kept)) content[k] = kept[k];
      return true;
    },
    flatten(content) {
      if (!flatArrays.length) return [content];
      return flatten(content, flatArrays, idField);
    },
    idOf: (c) => (idGet ? str(idGet(c)) : undefined),
    numberOf: (c) => (numGet ? str(numGet(c)) : idGet ? str(idGet(c)) : undefined),
  };
}

function readBeatFlat(source: MetadataDoc, at: (k: string) => string, issues: Issue[]): string[] {
  const found: { raw: unknown; path: string }[] = [];
  if (source.beatFlat !== undefined && source.beatFlat !== null) found.push({ raw: source.beatFlat, path: at('beatFlat') });
  const other = source.otherRequest as unknown;
  if (Array.isArray(other)) {
    other.forEach((p, i) => {
      if (!p || typeof p !== 'object') return;
      const o = p as Record<string, unknown>;
      if (o.field === 'beatFlat') found.push({ raw: o.value, path: at(`otherRequest[${i}].value`) });
      else if (o.beatFlat !== undefined) found.push({ raw: o.beatFlat, path: at(`otherRequest[${i}].beatFlat`) });
    });
  } else if (other && typeof other === 'object' && (other as Record<string, unknown>).beatFlat !== undefined) {
    found.push({ raw: (other as Record<string, unknown>).beatFlat, path: at('otherRequest.beatFlat') });
  }
  const out: string[] = [];
  for (const f of found) {
    const list = typeof f.raw === 'string' ? f.raw.split(',').map((s) => s.trim()).filter(Boolean) : f.raw;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && /^[^.\s[\]]+$/.test(x))) {
      issues.push({ path: f.path, message: 'beatFlat must list top-level array fields, e.g. ["details_list"]' });
      continue;
    }
    for (const x of list) if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** Explode the listed arrays: each element becomes a row with the header fields and `<array>_<key>` fields. */
export function flatten(content: Record<string, unknown>, arrays: string[], idField: string | undefined): Record<string, unknown>[] {
  const header: Record<string, unknown> = {};
  for (const k of Object.keys(content)) if (!arrays.includes(k)) header[k] = content[k];
  const rows: Record<string, unknown>[] = [];
  const id = idField ? content[idField] : undefined;
  let line = 0;
  for (const name of arrays) {
    const arr = content[name];
    const list = Array.isArray(arr) ? arr : isPlainObject(arr) ? [arr] : [];
    for (const el of list) {
      line++;
      const row: Record<string, unknown> = { ...header };
      if (isPlainObject(el)) for (const k of Object.keys(el)) row[`${name}_${k}`] = el[k];
      else row[name] = el;
      if (idField && id !== undefined && id !== null && id !== '') {
        row[idField] = `${String(id)}-${line}`;
        row[FLAT_SOURCE_ID] = id;
      }
      row[FLAT_LINE] = line;
      rows.push(row);
    }
  }
  // A record without lines is kept whole (header only, id unchanged).
  return rows.length ? rows : [header];
}

function compileChecks(params: MetaParam[], metaPath: string, parentField: string | undefined, issues: Issue[]): Check {
  const checks: Check[] = [];
  params.forEach((p, i) => {
    const mp = `${metaPath}[${i}]`;
    if (!isKnownType(p.type)) {
      issues.push({ path: `${mp}.type`, message: `unknown type '${String(p.type)}'` });
      return;
    }
    const key = childKey(p.field, parentField);
    const segs = parsePath(key);
    if (!segs) {
      issues.push({ path: `${mp}.field`, message: `bad field name '${p.field}'` });
      return;
    }
    const get = compileGetter(segs);
    const required = isRequired(p.is_required);
    const kind = kindOf(p.type);
    const children = Array.isArray(p.children) ? p.children : [];
    const childCheck = children.length ? compileChecks(children, `${mp}.children`, p.field, issues) : undefined;
    const scalar = kind === 'any' || kind === 'array' || kind === 'object' ? undefined : coercerFor(p.type);
    const single = segs.length === 1 && typeof segs[0] === 'string' ? segs[0] : undefined;
    checks.push((obj, prefix, out, rc) => {
      const v = single !== undefined ? obj[single] : get(obj);
      if (v === undefined || v === null || v === '') {
        if (required) out.push({ path: prefix + key, message: 'is required' });
        return;
      }
      if (kind === 'string' && typeof v !== 'object') return;
      const path = prefix + key;
      switch (kind) {
        case 'any':
          return;
        case 'string':
          out.push({ path, message: `expected text, got ${Array.isArray(v) ? 'a list' : 'an object'}` });
          return;
        case 'object':
          if (!isPlainObject(v)) out.push({ path, message: 'expected an object' });
          else if (childCheck) childCheck(v, `${path}.`, out, rc);
          return;
        case 'array':
          if (!Array.isArray(v)) {
            out.push({ path, message: 'expected a list' });
            return;
          }
          if (required && v.length === 0) out.push({ path, message: 'is required (empty list)' });
          if (childCheck) {
            v.forEach((el, j) => {
              if (!isPlainObject(el)) out.push({ path: `${path}[${j}]`, message: 'expected an object' });
              else childCheck(el, `${path}[${j}].`, out, rc);
            });
          }
          return;
        default:
          if (kind === 'datetime' && typeof v === 'string' && CANONICAL_DATETIME.test(v)) return;
          try {
            scalar!(v, rc);
          } catch (e) {
            if (e instanceof Fail) out.push({ path, message: e.message });
            else throw e;
          }
      }
    });
  });
  return (obj, prefix, out, rc) => {
    for (const c of checks) c(obj, prefix, out, rc);
  };
}

/** is_required as QEasy exports write it: true, "true", 1 or "1". */
function isRequired(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}
