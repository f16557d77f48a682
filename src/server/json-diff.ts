/**
 * Structural diff of two scheme versions, for the version history. Lists of metadata parameters are matched by
 * their `field` (inserting one field shows as one addition, not as every later field changing), other lists by
 * position. Paths read like `target.metadata.request[tid].value`.
 */
export interface DiffEntry {
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function keyedByField(list: unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const item of list) {
    if (!isObj(item) || typeof item.field !== 'string' || m.has(item.field)) return undefined;
    m.set(item.field, item);
  }
  return m;
}

export function jsonDiff(a: unknown, b: unknown, path = '', out: DiffEntry[] = []): DiffEntry[] {
  if (Object.is(a, b)) return out;
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in a)) out.push({ path: p, op: 'added', after: b[k] });
      else if (!(k in b)) out.push({ path: p, op: 'removed', before: a[k] });
      else jsonDiff(a[k], b[k], p, out);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = keyedByField(a);
    const kb = keyedByField(b);
    if (ka && kb && (ka.size || kb.size)) {
      for (const [f, v] of ka) {
        const p = `${path}[${f}]`;
        if (!kb.has(f)) out.push({ path: p, op: 'removed', before: v });
        else jsonDiff(v, kb.get(f), p, out);
      }
      for (const [f, v] of kb) if (!ka.has(f)) out.push({ path: `${path}[${f}]`, op: 'added', after: v });
      return out;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push({ path: p, op: 'added', after: b[i] });
      else if (i >= b.length) out.push({ path: p, op: 'removed', before: a[i] });
      else jsonDiff(a[i], b[i], p, out);
    }
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path || '$', op: 'changed', before: a, after: b });
  return out;
}
