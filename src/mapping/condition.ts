/**
 * Source `condition` filters (QEasy's 高级查询条件引擎): `[[c1, c2], [c3]]` means (c1 AND c2) OR c3; each
 * condition is `{field, logic, value, strictMode?}` with logic eq, neq, gt, egt, lt, elt, like, notlike, between,
 * notnull, isnull (plus in / notin). `timestamp:` values compare as times. A field path that crosses a line table
 * (`items.name`) tests each line: with `strictMode: true` one failing line drops the document, otherwise failing
 * lines are removed and the document is kept while some line passes.
 */
import type { Issue } from '../errors.ts';
import { cmp, toDec } from './decimal.ts';
import { parsePath, type Seg, getPath } from './path.ts';
import { textOf } from './template.ts';
import { DEFAULT_TZ, toEpochMs } from './time.ts';

export const LOGICS = ['eq', 'neq', 'gt', 'egt', 'lt', 'elt', 'like', 'notlike', 'between', 'notnull', 'isnull', 'in', 'notin'] as const;

type Test = (v: unknown) => boolean;

interface Cond {
  /** Path up to (and including) the line table, when the path crosses one; decided per document. */
  segs: Seg[];
  test: Test;
  strict: boolean;
}

export interface CompiledCondition {
  /** Filtered document (lines removed in non-strict mode), or undefined when it is dropped. Input is not modified. */
  filter(doc: Record<string, unknown>): Record<string, unknown> | undefined;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

function compare(a: unknown, b: unknown): number | undefined {
  if (a === undefined || a === null) return undefined;
  const da = toDec(a);
  const db = toDec(b);
  if (da && db && typeof a !== 'boolean') return cmp(da, db);
  const sa = textOf(a);
  const sb = textOf(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return b === undefined || b === null || b === '';
  const r = compare(a, b);
  return r === 0;
}

function compileTest(c: Record<string, unknown>, at: string, issues: Issue[]): Test | undefined {
  const logic = typeof c.logic === 'string' ? c.logic.toLowerCase() : '';
  let value = c.value;
  let timeMode = false;
  if (typeof value === 'string' && value.startsWith('timestamp:')) {
    const raw = value.slice(10).trim();
    const ms = toEpochMs(raw, DEFAULT_TZ);
    if (ms === undefined) {
      issues.push({ path: `${at}.value`, message: `'${raw}' is not a time` });
      return undefined;
    }
    timeMode = true;
    value = ms;
  }
  const needsValue = logic !== 'notnull' && logic !== 'isnull';
  if (needsValue && value === undefined) {
    issues.push({ path: `${at}.value`, message: `is required for logic '${logic}'` });
    return undefined;
  }
  const asTime = (v: unknown) => (timeMode ? toEpochMs(v, DEFAULT_TZ) : v);
  const ord = (v: unknown) => compare(asTime(v), value);
  switch (logic) {
    case 'eq': return timeMode ? (v) => ord(v) === 0 : (v) => equal(v, value);
    case 'neq': return timeMode ? (v) => ord(v) !== 0 : (v) => !equal(v, value);
    case 'gt': return (v) => { const r = ord(v); return r !== undefined && r > 0; };
    case 'egt': return (v) => { const r = ord(v); return r !== undefined && r >= 0; };
    case 'lt': return (v) => { const r = ord(v); return r !== undefined && r < 0; };
    case 'elt': return (v) => { const r = ord(v); return r !== undefined && r <= 0; };
    case 'like': case 'notlike': {
      const pat = textOf(value);
      const m = likeMatcher(pat);
      return logic === 'like' ? (v) => !isEmpty(v) && m(textOf(v)) : (v) => isEmpty(v) || !m(textOf(v));
    }
    case 'between': {
      let lo: unknown, hi: unknown;
      if (Array.isArray(value) && value.length === 2) [lo, hi] = value;
      else if (typeof value === 'string' && value.split(',').length === 2) [lo, hi] = value.split(',').map((s) => s.trim());
      else {
        issues.push({ path: `${at}.value`, message: "between needs two values: 'low,high' or [low, high]" });
        return undefined;
      }
      if (timeMode || (typeof lo === 'string' && lo.startsWith('timestamp:'))) {
        const l = toEpochMs(String(lo).replace(/^timestamp:/, ''), DEFAULT_TZ);
        const h = toEpochMs(String(hi).replace(/^timestamp:/, ''), DEFAULT_TZ);
        if (l === undefined || h === undefined) {
          issues.push({ path: `${at}.value`, message: 'between bounds are not times' });
          return undefined;
        }
        return (v) => { const t = toEpochMs(v, DEFAULT_TZ); return t !== undefined && t >= l && t <= h; };
      }
      return (v) => { const a = compare(v, lo); const b = compare(v, hi); return a !== undefined && b !== undefined && a >= 0 && b <= 0; };
    }
    case 'notnull': return (v) => !isEmpty(v);
    case 'isnull': return (v) => isEmpty(v);
    case 'in': case 'notin': {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [value];
      return logic === 'in' ? (v) => list.some((x) => equal(v, x)) : (v) => !list.some((x) => equal(v, x));
    }
    default:
      issues.push({ path: `${at}.logic`, message: `unknown logic '${String(c.logic)}' (known: ${LOGICS.join(', ')})` });
      return undefined;
  }
}

/** SQL LIKE when the pattern has % or _ wildcards; otherwise "contains" (QEasy's like). */
export function likeMatcher(pattern: string): (s: string) => boolean {
  if (!/[%_]/.test(pattern)) return (s) => s.includes(pattern);
  return (s) => likeMatch(s, pattern);
}

/** Iterative LIKE matcher (%, _, backslash escape); linear-ish, no regular expressions built from user text. */
export function likeMatch(s: string, p: string, esc = '\\'): boolean {
  const str = Array.from(s);
  const pat = Array.from(p);
  let i = 0, j = 0, starJ = -1, starI = 0;
  while (i < str.length) {
    if (j < pat.length && pat[j] === esc && j + 1 < pat.length) {
      if (str[i] === pat[j + 1]) { i++; j += 2; continue; }
    } else if (j < pat.length && pat[j] === '_') { i++; j++; continue; }
    else if (j < pat.length && pat[j] === '%') { starJ = j++; starI = i; continue; }
    else if (j < pat.length && pat[j] === str[i]) { i++; j++; continue; }
    if (starJ >= 0) { j = starJ + 1; i = ++starI; continue; }
    return false;
  }
  while (j < pat.length && pat[j] === '%') j++;
  return j === pat.length;
}

export function compileCondition(raw: unknown, basePath: string, issues: Issue[]): CompiledCondition | undefined {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return undefined;
  if (!Array.isArray(raw)) {
    issues.push({ path: basePath, message: 'must be a list of condition groups: [[{field, logic, value}, …], …]' });
    return undefined;
  }
  // A flat list of conditions is read as one AND group.
  const groupsRaw = raw.every((g) => g && typeof g === 'object' && !Array.isArray(g)) ? [raw] : raw;
  const groups: Cond[][] = [];
  groupsRaw.forEach((g, gi) => {
    const gp = groupsRaw === raw ? `${basePath}[${gi}]` : basePath;
    if (!Array.isArray(g)) {
      issues.push({ path: gp, message: 'a condition group must be a list of conditions' });
      return;
    }
    const conds: Cond[] = [];
    g.forEach((c, ci) => {
      const at = `${gp}[${ci}]`;
      if (!c || typeof c !== 'object' || Array.isArray(c)) {
        issues.push({ path: at, message: 'a condition must be {field, logic, value}' });
        return;
      }
      const cc = c as Record<string, unknown>;
      const segs = typeof cc.field === 'string' ? parsePath(cc.field) : undefined;
      if (!segs) issues.push({ path: `${at}.field`, message: 'is required (a field path)' });
      const test = compileTest(cc, at, issues);
      if (segs && test) conds.push({ segs, test, strict: cc.strictMode === true || cc.strictMode === 'true' });
    });
    groups.push(conds);
  });
  if (issues.length) return undefined;
  return { filter: (doc) => filterDoc(doc, groups) };
}

/** Where a path crosses a line table: the array's path and the rest inside each line. */
function splitAtArray(doc: unknown, segs: Seg[]): { arrayPath: Seg[]; rest: Seg[]; lines: unknown[] } | undefined {
  let cur: unknown = doc;
  for (let i = 0; i < segs.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur) && typeof segs[i] === 'string') {
      return { arrayPath: segs.slice(0, i), rest: segs.slice(i), lines: cur };
    }
    cur = (cur as Record<string | number, unknown>)[segs[i]!];
  }
  return undefined;
}

function filterDoc(doc: Record<string, unknown>, groups: Cond[][]): Record<string, unknown> | undefined {
  // For each passing group: which lines of which tables survive (absent = all lines).
  let anyPass = false;
  const keep = new Map<string, { path: Seg[]; lines: unknown[]; kept: Set<number> }>();
  const groupKeeps: Map<string, Set<number>>[] = [];
  for (const group of groups) {
    let pass = true;
    const local = new Map<string, Set<number>>();
    for (const c of group) {
      const split = splitAtArray(doc, c.segs);
      if (!split) {
        if (!c.test(getPath(doc, c.segs))) { pass = false; break; }
        continue;
      }
      const key = split.arrayPath.join('\u0000');
      if (!keep.has(key)) keep.set(key, { path: split.arrayPath, lines: split.lines, kept: new Set() });
      const ok = new Set<number>();
      split.lines.forEach((line, i) => { if (c.test(getPath(line, split.rest))) ok.add(i); });
      if (c.strict && ok.size !== split.lines.length) { pass = false; break; }
      if (split.lines.length > 0 && ok.size === 0) { pass = false; break; }
      const prev = local.get(key);
      if (prev) for (const i of [...prev]) { if (!ok.has(i)) prev.delete(i); }
      else local.set(key, ok);
      if (split.lines.length > 0 && local.get(key)!.size === 0) { pass = false; break; }
    }
    if (!pass) continue;
    anyPass = true;
    groupKeeps.push(local);
  }
  if (!anyPass) return undefined;
  if (keep.size === 0) return doc;
  let out: Record<string, unknown> = doc;
  for (const [key, t] of keep) {
    // A passing group without a condition on this table keeps all of its lines.
    let all = false;
    const kept = new Set<number>();
    for (const g of groupKeeps) {
      const s = g.get(key);
      if (!s) { all = true; break; }
      for (const i of s) kept.add(i);
    }
    if (all || kept.size === t.lines.length) continue;
    const lines = t.lines.filter((_, i) => kept.has(i));
    out = replaceAt(out, t.path, lines);
  }
  return out;
}

function replaceAt(doc: Record<string, unknown>, path: Seg[], value: unknown): Record<string, unknown> {
  if (path.length === 0) return doc;
  const [head, ...rest] = path;
  const copy: Record<string | number, unknown> = Array.isArray(doc) ? [...doc] as never : { ...doc };
  copy[head!] = rest.length ? replaceAt(doc[head as string] as Record<string, unknown>, rest, value) : value;
  return copy as Record<string, unknown>;
}

