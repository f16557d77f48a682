/**
 * Response checks for the generic HTTP connector: small boolean expressions over the parsed JSON answer, compiled
 * once per connector.
 *
 *   $.code == 0
 *   $.success == true && $.data.errors == null
 *   $.status == "ok" || $.status == "accepted"
 *   $.result.count >= 1
 *   $.data                      (truthy)
 *   !$.error                    (falsy)
 *
 * Paths start at `$` and use `.key` or `[index]`; literals are numbers, 'text' or "text", true, false, null.
 * `==` / `!=` compare numbers with numbers numerically even when one side is numeric text ("0" == 0), as JSON APIs
 * are sloppy about that. `&&` binds tighter than `||`; there are no parentheses.
 */

export type Check = (body: unknown) => boolean;

type Seg = string | number;

/** Reads `$.a.b[0].c` (or `a.b`) from a value; undefined when any step is missing. */
export function getPath(v: unknown, path: string | Seg[]): unknown {
  const segs = typeof path === 'string' ? parseJsonPath(path) : path;
  if (!segs) return undefined;
  let cur = v;
  for (const s of segs) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/** `$.a.b[0]`, `$['x y']`, `a.b`, `$` → segments; undefined when malformed. */
export function parseJsonPath(path: string): Seg[] | undefined {
  let s = path.trim();
  if (s.startsWith('$')) s = s.slice(1);
  else if (s && !s.startsWith('.') && !s.startsWith('[')) s = `.${s}`;
  const out: Seg[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '.') {
      const m = /^\.([A-Za-z_\u4e00-\u9fff$][\w\u4e00-\u9fff$-]*)/.exec(s.slice(i));
      if (!m) return undefined;
      out.push(m[1]);
      i += m[0].length;
    } else if (s[i] === '[') {
      const m = /^\[(?:(\d+)|'([^']*)'|"([^"]*)")\]/.exec(s.slice(i));
      if (!m) return undefined;
      out.push(m[1] !== undefined ? Number(m[1]) : (m[2] ?? m[3]));
      i += m[0].length;
    } else return undefined;
  }
  return out;
}

type Tok =
  | { t: 'path'; segs: Seg[]; text: string }
  | { t: 'lit'; v: unknown }
  | { t: 'op'; v: string }
  | { t: 'not' };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^(&&|\|\||==|!=|>=|<=|>|<)/.exec(rest))) {
      toks.push({ t: 'op', v: m[1] });
      i += m[1].length;
    } else if (c === '!') {
      toks.push({ t: 'not' });
      i++;
    } else if (c === '$') {
      m = /^\$(?:\.[A-Za-z_\u4e00-\u9fff$][\w\u4e00-\u9fff$-]*|\[(?:\d+|'[^']*'|"[^"]*")\])*/.exec(rest)!;
      const segs = parseJsonPath(m[0]);
      if (!segs) throw new Error(`bad path at "${rest.slice(0, 20)}"`);
      toks.push({ t: 'path', segs, text: m[0] });
      i += m[0].length;
    } else if ((m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest))) {
      toks.push({ t: 'lit', v: Number(m[0]) });
      i += m[0].length;
    } else if ((m = /^'([^']*)'|^"([^"]*)"/.exec(rest))) {
      toks.push({ t: 'lit', v: m[1] ?? m[2] });
      i += m[0].length;
    } else if ((m = /^(true|false|null)\b/.exec(rest))) {
      toks.push({ t: 'lit', v: m[1] === 'null' ? null : m[1] === 'true' });
      i += m[1].length;
    } else throw new Error(`unexpected "${rest.slice(0, 20)}"`);
  }
  return toks;
}

const numeric = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined && (typeof a === 'number' || typeof b === 'number')) return na === nb;
  return false;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
  }
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (op === '>') return na > nb;
    if (op === '>=') return na >= nb;
    if (op === '<') return na < nb;
    return na <= nb;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    if (op === '>') return a > b;
    if (op === '>=') return a >= b;
    if (op === '<') return a < b;
    return a <= b;
  }
  return false;
}

const truthy = (v: unknown) =>
  !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));

/** Compile a check; throws Error with a readable reason when the expression is malformed. */
export function compileCheck(src: string): Check {
  const toks = tokenize(src);
  if (!toks.length) throw new Error('empty expression');
  let i = 0;
  const operand = (): ((b: unknown) => unknown) => {
    const t = toks[i++];
    if (!t) throw new Error('expression ends too early');
    if (t.t === 'path') return (b) => getPath(b, t.segs);
    if (t.t === 'lit') return () => t.v;
    throw new Error(`expected a path or a value, got ${t.t === 'op' ? t.v : '!'}`);
  };
  const comparison = (): Check => {
    if (toks[i]?.t === 'not') {
      i++;
      const inner = comparison();
      return (b) => !inner(b);
    }
    const left = operand();
    const t = toks[i];
    if (t?.t === 'op' && !['&&', '||'].includes(t.v)) {
      i++;
      const right = operand();
      const op = t.v;
      return (b) => compare(op, left(b), right(b));
    }
    return (b) => truthy(left(b));
  };
  const conj = (): Check => {
    const parts = [comparison()];
    while (toks[i]?.t === 'op' && (toks[i] as { v: string }).v === '&&') {
      i++;
      parts.push(comparison());
    }
    return parts.length === 1 ? parts[0] : (b) => parts.every((p) => p(b));
  };
  const parts = [conj()];
  while (toks[i]?.t === 'op' && (toks[i] as { v: string }).v === '||') {
    i++;
    parts.push(conj());
  }
  if (i < toks.length) throw new Error(`unexpected token after a complete expression`);
  return parts.length === 1 ? parts[0] : (b) => parts.some((p) => p(b));
}

/** Like compileCheck, but returns the error text instead of throwing (for connector validation). */
export function checkProblem(src: string): string | undefined {
  try {
    compileCheck(src);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
