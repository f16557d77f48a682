/**
 * Field paths: `a`, `a.b`, `order_list.oid`, `a[0].b`, `a.0.b`, Chinese names (`单据编号`). Walking through an
 * array without an index maps over its elements (`order_list.oid` on a record gives every line's oid), which is
 * what aggregates (`SUM({{details_list.qty}})`) and conditions on sub-tables need.
 */

export type Seg = string | number;

const SEG_RE = /^[^.[\]{}|'"`\s][^.[\]{}|'"`]*$/;

/** Parse a path; undefined when malformed. */
export function parsePath(path: string): Seg[] | undefined {
  const p = path.trim();
  if (!p) return undefined;
  const segs: Seg[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === '[') {
      const j = p.indexOf(']', i);
      if (j < 0) return undefined;
      const idx = p.slice(i + 1, j).trim();
      if (!/^\d+$/.test(idx)) return undefined;
      segs.push(Number(idx));
      i = j + 1;
      if (p[i] === '.') i++;
      else if (i < p.length && p[i] !== '[') return undefined;
      continue;
    }
    let j = i;
    while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
    const name = p.slice(i, j).trim();
    if (!SEG_RE.test(name)) return undefined;
    segs.push(/^\d+$/.test(name) && segs.length > 0 ? Number(name) : name);
    i = j;
    if (p[i] === '.') {
      i++;
      if (i >= p.length) return undefined;
    }
  }
  return segs.length ? segs : undefined;
}

export function pathText(segs: readonly Seg[]): string {
  let s = '';
  for (const seg of segs) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

/** Read a path; arrays met on a name segment are mapped over (and nested results flattened one level). */
export function getPath(obj: unknown, segs: readonly Seg[], from = 0): unknown {
  let cur: unknown = obj;
  for (let i = from; i < segs.length; i++) {
    if (cur === null || cur === undefined) return undefined;
    const seg = segs[i]!;
    if (Array.isArray(cur) && typeof seg === 'string') {
      const out: unknown[] = [];
      for (const el of cur) {
        const v = getPath(el, segs, i);
        if (Array.isArray(v) && i < segs.length - 1) out.push(...v);
        else out.push(v);
      }
      return out;
    }
    if (typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** A compiled reader for a fixed path (one closure per path, specialised for the short common cases). */
export function compileGetter(segs: readonly Seg[]): (obj: unknown) => unknown {
  if (segs.length === 1) {
    const k = segs[0]!;
    if (typeof k === 'number') return (o) => (o !== null && typeof o === 'object' ? (o as unknown[])[k] : undefined);
    return (o) => {
      if (o === null || typeof o !== 'object') return undefined;
      if (Array.isArray(o)) return getPath(o, segs);
      return (o as Record<string, unknown>)[k];
    };
  }
  if (segs.length === 2 && typeof segs[0] === 'string' && typeof segs[1] === 'string') {
    const a = segs[0], b = segs[1];
    return (o) => {
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return getPath(o, segs);
      const x = (o as Record<string, unknown>)[a];
      if (x === null || typeof x !== 'object') return undefined;
      if (Array.isArray(x)) return getPath(x, segs, 1);
      return (x as Record<string, unknown>)[b];
    };
  }
  return (o) => getPath(o, segs);
}

/** Set a nested value, creating plain objects on the way. */
export function setPath(obj: Record<string, unknown>, segs: readonly string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < segs.length - 1; i++) {
    const k = segs[i]!;
    let next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {};
      cur[k] = next;
    }
    cur = next as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]!] = value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
