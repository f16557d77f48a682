/**
 * `_findCollection find <field> from <schemeId> where A={{x}} B={{y}}` — read `field` from the stored records of
 * another scheme whose content matches every condition (AND). Values may be `{{template}}`, a bare source path as
 * QEasy also writes it (`number=details_list.spec_no`), or a quoted literal. Inside `_function` the lookup ends
 * at `_endFind` (or where the conditions end). No match gives no value; a condition whose value is empty does
 * not query at all. The store answers through `ctx.lookup`.
 */
import { plain } from './coerce.ts';
import type { CompileEnv } from './env.ts';
import { Fail, PENDING, type RC } from './runtime.ts';
import { compileTemplate, parseTemplate, type Getter, type Scope } from './template.ts';

export interface FindSpec {
  field: string;
  schemeId: string;
  where: { name: string; get: Getter }[];
  text: string;
}

export function isFindCollection(v: string): boolean {
  return /^\s*_findCollection\s/.test(v);
}

const HEAD_RE = /_findCollection\s+find\s+(\S+)\s+from\s+(\S+)\s+where\s+/iy;
const COND_RE = /\s*([^\s=(),']+)\s*=\s*(\{\{[^{}]*\}\}|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|[^\s,()]+)/y;
const AND_RE = /\s+and(?=\s)/iy;
const END_RE = /\s*_endFind\b/y;

export interface ScannedFind {
  field: string;
  schemeId: string;
  conds: { name: string; raw: string }[];
  /** Index just after the lookup (after `_endFind` when present). */
  end: number;
  text: string;
}

/** Scan a lookup starting at `pos` (which must point at `_findCollection`). */
export function scanFind(text: string, pos: number): ScannedFind | { error: string } {
  HEAD_RE.lastIndex = pos;
  const h = HEAD_RE.exec(text);
  if (!h) return { error: `bad _findCollection: expected '_findCollection find <field> from <schemeId> where <name>=<value> …'` };
  let i = HEAD_RE.lastIndex;
  const conds: { name: string; raw: string }[] = [];
  for (;;) {
    END_RE.lastIndex = i;
    if (conds.length && END_RE.exec(text)) {
      i = END_RE.lastIndex;
      break;
    }
    let j = i;
    if (conds.length) {
      AND_RE.lastIndex = i;
      if (AND_RE.exec(text)) j = AND_RE.lastIndex;
    }
    COND_RE.lastIndex = j;
    const c = COND_RE.exec(text);
    if (!c) break;
    conds.push({ name: c[1]!, raw: c[2]! });
    i = COND_RE.lastIndex;
  }
  if (!conds.length) return { error: `bad _findCollection: 'where' needs at least one <name>=<value> condition` };
  return { field: h[1]!, schemeId: h[2]!, conds, end: i, text: text.slice(pos, i).trim() };
}

function unquote(raw: string): string {
  const q = raw[0]!;
  const body = raw.slice(1, -1);
  return q === "'" ? body.replace(/''/g, "'").replace(/\\(.)/g, '$1') : body.replace(/\\(.)/g, '$1');
}

/** Compile scanned conditions into getters; issues go to env. */
export function compileFind(s: ScannedFind, scope: Scope, env: CompileEnv, path: string): FindSpec | undefined {
  const where: FindSpec['where'] = [];
  let ok = true;
  for (const c of s.conds) {
    let get: Getter;
    if (c.raw.startsWith("'") || c.raw.startsWith('"')) {
      const lit = unquote(c.raw);
      get = () => lit;
    } else if (/^-?\d+(\.\d+)?$/.test(c.raw)) {
      const lit = c.raw;
      get = () => lit;
    } else {
      const t = parseTemplate(c.raw.startsWith('{{') ? c.raw : `{{${c.raw}}}`);
      if ('error' in t) {
        env.issues.push({ path, message: `_findCollection condition ${c.name}: ${t.error}` });
        ok = false;
        continue;
      }
      get = compileTemplate(t.parts, scope);
    }
    where.push({ name: c.name, get });
  }
  if (!ok) return undefined;
  env.usesLookup = true;
  return { field: s.field, schemeId: s.schemeId, where, text: s.text };
}

/** Top-level value `_findCollection …`: the first found value, or nothing. */
export function compileFindCollectionValue(v: string, scope: Scope, env: CompileEnv, path: string): Getter | undefined {
  const start = v.indexOf('_findCollection');
  const s = scanFind(v, start);
  if ('error' in s) {
    env.issues.push({ path, message: s.error });
    return undefined;
  }
  const rest = v.slice(s.end).trim();
  if (rest) {
    env.issues.push({ path, message: `unexpected text after _findCollection: '${rest.slice(0, 40)}' (conditions are name=value separated by spaces)` });
    return undefined;
  }
  const spec = compileFind(s, scope, env, path);
  if (!spec) return undefined;
  return (rc) => {
    const vals = lookupValues(spec, rc);
    if (vals === PENDING) return PENDING;
    return vals[0];
  };
}

/** Run a lookup for the current record (cached per record; async answers are awaited by the target's map loop). */
export function lookupValues(spec: FindSpec, rc: RC): unknown[] | typeof PENDING {
  const where: Record<string, unknown> = {};
  for (const w of spec.where) {
    const v = plain(w.get(rc));
    if (v === undefined || v === null || v === '') return [];
    if (typeof v === 'object') throw new Fail(`_findCollection condition ${w.name} is not a single value: ${JSON.stringify(v).slice(0, 60)}`);
    where[w.name] = v;
  }
  const lookup = rc.ctx.lookup;
  if (!lookup) throw new Fail('_findCollection needs a record store (no lookup given in the mapping context)');
  const key = `${spec.schemeId}\u0000${spec.field}\u0000${JSON.stringify(where)}`;
  const cache = (rc.lookups ??= new Map());
  const hit = cache.get(key);
  if (hit) {
    if (!hit.done) return PENDING;
    if (hit.error !== undefined) throw new Fail(`lookup failed: ${errText(hit.error)}`);
    return hit.values!;
  }
  let res: unknown[] | Promise<unknown[]>;
  try {
    res = lookup({ schemeId: spec.schemeId, field: spec.field, where });
  } catch (e) {
    cache.set(key, { done: true, error: e });
    throw new Fail(`lookup failed: ${errText(e)}`);
  }
  if (res && typeof (res as Promise<unknown[]>).then === 'function') {
    const entry: { done: boolean; values?: unknown[]; error?: unknown } = { done: false };
    cache.set(key, entry);
    const p = (res as Promise<unknown[]>).then(
      (vals) => {
        entry.done = true;
        if (Array.isArray(vals)) entry.values = vals;
        else entry.error = new Error(`lookup returned ${typeof vals}, expected a list`);
      },
      (e) => {
        entry.done = true;
        entry.error = e ?? new Error('rejected');
      },
    );
    if (rc.waiting) rc.waiting.push(p);
    else throw new Fail('_findCollection answered asynchronously in a synchronous mapping');
    return PENDING;
  }
  if (!Array.isArray(res)) throw new Fail(`lookup returned ${typeof res}, expected a list`);
  cache.set(key, { done: true, values: res });
  return res;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
