/**
 * Static value maps (静态映射): named dictionaries kept as workspace files `maps/<name>.json`, e.g.
 *
 *   { "name": "shop_to_org", "entries": { "TMALL01": "101", "JD01": "102" }, "default": "100", "onMissing": "default" }
 *
 * Used forward (key → value) or reversed (value → key) from a field (`"map": "shop_to_org"`,
 * `"map": "reverse:shop_to_org"`) or from `_function` (`MAP('shop_to_org', {{shop_no}})`, `MAP_REVERSE(…)`).
 */
import { ValidationError, type Issue } from '../errors.ts';
import { Dec } from './decimal.ts';
import { Fail } from './runtime.ts';

export interface ValueMapDef {
  name: string;
  entries: Record<string, unknown>;
  default?: unknown;
  /** error: the record fails (default when no `default` is given); default: use `default`; keep: pass the input on. */
  onMissing?: 'error' | 'default' | 'keep';
  label?: string;
}

const NAME_RE = /^[A-Za-z0-9_\-.\u4e00-\u9fa5]+$/;

/** Every problem of a map file's JSON. `expectedName` is the file's base name. */
export function validateValueMap(raw: unknown, path = '', expectedName?: string): Issue[] {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  const issues: Issue[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [{ path: path || '(map)', message: 'a value map must be an object { name, entries, default?, onMissing? }' }];
  }
  const m = raw as Record<string, unknown>;
  if (typeof m.name !== 'string' || !NAME_RE.test(m.name)) {
    issues.push({ path: at('name'), message: 'is required: letters, digits, _ - . or Chinese characters' });
  } else if (expectedName !== undefined && m.name !== expectedName) {
    issues.push({ path: at('name'), message: `must match the file name '${expectedName}'` });
  }
  if (m.entries === null || typeof m.entries !== 'object' || Array.isArray(m.entries)) {
    issues.push({ path: at('entries'), message: 'is required: an object from source value to target value' });
  } else {
    for (const [k, v] of Object.entries(m.entries as Record<string, unknown>)) {
      if (v === undefined) issues.push({ path: at(`entries.${k}`), message: 'has no value' });
    }
  }
  if (m.onMissing !== undefined && m.onMissing !== 'error' && m.onMissing !== 'default' && m.onMissing !== 'keep') {
    issues.push({ path: at('onMissing'), message: "must be 'error', 'default' or 'keep'" });
  }
  if (m.onMissing === 'default' && m.default === undefined) {
    issues.push({ path: at('default'), message: "is required when onMissing is 'default'" });
  }
  if (m.label !== undefined && typeof m.label !== 'string') issues.push({ path: at('label'), message: 'must be a string' });
  const known = new Set(['name', 'entries', 'default', 'onMissing', 'label', 'describe']);
  for (const k of Object.keys(m)) if (!known.has(k)) issues.push({ path: at(k), message: 'unknown key' });
  return issues;
}

/** Validate and return a map definition; throws ValidationError with every issue. */
export function parseValueMap(raw: unknown, path = '', expectedName?: string): ValueMapDef {
  const issues = validateValueMap(raw, path, expectedName);
  if (issues.length) throw new ValidationError(issues);
  return raw as ValueMapDef;
}

export function mapKey(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Dec) return v.toString();
  if (v !== null && typeof v === 'object' && typeof (v as { toText?: unknown }).toText === 'function') {
    return (v as { toText(): string }).toText();
  }
  throw new Fail(`cannot look up ${JSON.stringify(v)} in a value map (not a scalar)`);
}

export type MapFn = (v: unknown, fallback?: { value: unknown }) => unknown;

/**
 * Compile a lookup direction. Missing input (undefined/null) passes through untouched. `reverse` needs unique
 * target values; duplicates are reported through `issue`.
 */
export function compileValueMap(def: ValueMapDef, reverse: boolean, issue: (msg: string) => void): MapFn {
  const table = new Map<string, unknown>();
  if (reverse) {
    for (const [k, v] of Object.entries(def.entries)) {
      let key: string;
      try {
        key = mapKey(v);
      } catch {
        issue(`value map '${def.name}' cannot be reversed: entry '${k}' is not a scalar`);
        continue;
      }
      if (table.has(key)) issue(`value map '${def.name}' cannot be reversed: value '${key}' appears more than once`);
      else table.set(key, k);
    }
  } else {
    for (const [k, v] of Object.entries(def.entries)) table.set(k, v);
  }
  const mode = def.onMissing ?? (def.default !== undefined ? 'default' : 'error');
  const dir = reverse ? 'reverse ' : '';
  return (v, fallback) => {
    if (v === undefined || v === null) return v;
    const key = mapKey(v);
    const hit = table.get(key);
    if (hit !== undefined || table.has(key)) return hit;
    if (fallback) return fallback.value;
    if (mode === 'keep') return v;
    if (mode === 'default') return def.default;
    throw new Fail(`no entry for '${key}' in ${dir}value map '${def.name}'`);
  };
}

/** `"shop_to_org"` → forward; `"reverse:shop_to_org"` → reverse. */
export function parseMapRef(ref: string): { name: string; reverse: boolean } {
  const t = ref.trim();
  if (t.startsWith('reverse:')) return { name: t.slice(8).trim(), reverse: true };
  return { name: t, reverse: false };
}
