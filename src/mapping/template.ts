/**
 * `{{field}}`, `{{a.b}}`, `{{order_list.oid}}`, `{{LAST_SYNC_TIME|datetime}}`, `备注: {{buyer_message}}`.
 * Templates are parsed once at compile time into literal text and references; each reference becomes a closure
 * reading the record (or the array element being mapped) directly, so nothing is parsed per record.
 */
import { Dec } from './decimal.ts';
import { compileGetter, parsePath, type Seg } from './path.ts';
import { ENGINE_VARS, Fail, RC, readVar, VAR_NAME } from './runtime.ts';
import { CANONICAL_DATE, CANONICAL_DATETIME, formatDate, formatDateTime, formatTime, isZeroDate, mysqlDateFormat, toEpochMs } from './time.ts';

export interface FormatterCall {
  name: string;
  arg?: string;
}

export interface TemplateRef {
  /** Text between the braces, trimmed. */
  raw: string;
  path: string;
  segs: Seg[];
  /** `$root.` prefix: read from the record even inside an array element. */
  root: boolean;
  fmts: FormatterCall[];
}

export type TemplatePart = string | TemplateRef;

export type Getter = (rc: RC) => unknown;

/**
 * Where a value is evaluated: depth 0 is the record; depth d > 0 is inside the d-th nested array mapping.
 * `prefixes[d]` are the source paths that name the array iterated at depth d (`order_list`, …): a reference
 * starting with one of them reads the current element.
 */
export interface Scope {
  depth: number;
  prefixes: string[][];
}

export const ROOT_SCOPE: Scope = { depth: 0, prefixes: [[]] };

export function hasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('}}');
}

/** Split text into literal parts and references. Returns an error message for unbalanced or empty braces. */
export function parseTemplate(text: string): { parts: TemplatePart[] } | { error: string } {
  const parts: TemplatePart[] = [];
  let i = 0;
  let lit = '';
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const close = text.indexOf('}}', i);
    if (close >= 0 && (open < 0 || close < open)) return { error: `unbalanced template: '}}' without '{{' at ${close}` };
    if (open < 0) {
      lit += text.slice(i);
      break;
    }
    lit += text.slice(i, open);
    const end = text.indexOf('}}', open + 2);
    if (end < 0) return { error: `unbalanced template: '{{' at ${open} is never closed` };
    const inner = text.slice(open + 2, end);
    if (inner.includes('{{')) return { error: `unbalanced template: nested '{{' at ${open}` };
    const ref = parseRef(inner);
    if (typeof ref === 'string') return { error: ref };
    if (lit) parts.push(lit);
    lit = '';
    parts.push(ref);
    i = end + 2;
  }
  if (lit) parts.push(lit);
  return { parts };
}

function parseRef(inner: string): TemplateRef | string {
  const pieces = inner.split('|');
  const rawPath = pieces[0]!.trim();
  if (!rawPath) return `empty template '{{${inner}}}'`;
  let path = rawPath;
  let root = false;
  if (path.startsWith('$root.')) {
    root = true;
    path = path.slice(6);
  }
  const segs = parsePath(path);
  if (!segs) return `bad field path '${rawPath}' in '{{${inner}}}'`;
  const fmts: FormatterCall[] = [];
  for (const p of pieces.slice(1)) {
    const t = p.trim();
    const colon = t.indexOf(':');
    const name = colon >= 0 ? t.slice(0, colon).trim() : t;
    const arg = colon >= 0 ? t.slice(colon + 1) : undefined;
    const f = FORMATTERS[name];
    if (!f) return `unknown formatter '|${name}' in '{{${inner}}}' (known: ${Object.keys(FORMATTERS).join(', ')})`;
    if (f.needsArg && !arg) return `formatter '|${name}' needs an argument, e.g. '|${name}:%Y-%m-%d'`;
    fmts.push({ name, arg });
  }
  return { raw: inner.trim(), path, segs, root, fmts };
}

interface FormatterDef {
  needsArg?: boolean;
  fn: (v: unknown, rc: RC, arg: string | undefined) => unknown;
}

function timeOf(v: unknown, rc: RC, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && isZeroDate(v)) return undefined;
  const ms = toEpochMs(v instanceof Dec ? v.toNumber() : v, rc.tz);
  if (ms === undefined) throw new Fail(`|${name}: ${JSON.stringify(v)} is not a date or time`);
  return ms;
}

/** Template formatters (`{{x|date}}`). Time formatters read Unix seconds/ms, Date or date text; output in ctx.tz. */
export const FORMATTERS: Record<string, FormatterDef> = {
  // Wall-clock text already in the canonical form is in ctx.tz by definition: no parse/format round trip.
  date: { fn: (v, rc) => {
    if (typeof v === 'string' && (CANONICAL_DATETIME.test(v) || CANONICAL_DATE.test(v)) && !isZeroDate(v)) return v.slice(0, 10);
    const ms = timeOf(v, rc, 'date'); return ms === undefined ? undefined : formatDate(ms, rc.tz);
  } },
  datetime: { fn: (v, rc) => {
    if (typeof v === 'string' && CANONICAL_DATETIME.test(v) && !isZeroDate(v)) return v;
    const ms = timeOf(v, rc, 'datetime'); return ms === undefined ? undefined : formatDateTime(ms, rc.tz);
  } },
  dateTime: { fn: (v, rc) => FORMATTERS.datetime!.fn(v, rc, undefined) },
  time: { fn: (v, rc) => { const ms = timeOf(v, rc, 'time'); return ms === undefined ? undefined : formatTime(ms, rc.tz); } },
  timestamp: { fn: (v, rc) => { const ms = timeOf(v, rc, 'timestamp'); return ms === undefined ? undefined : Math.floor(ms / 1000); } },
  timestampMs: { fn: (v, rc) => timeOf(v, rc, 'timestampMs') },
  format: {
    needsArg: true,
    fn: (v, rc, arg) => { const ms = timeOf(v, rc, 'format'); return ms === undefined ? undefined : mysqlDateFormat(ms, rc.tz, arg!); },
  },
  trim: { fn: (v) => (typeof v === 'string' ? v.trim() : v) },
  upper: { fn: (v) => (typeof v === 'string' ? v.toUpperCase() : v) },
  lower: { fn: (v) => (typeof v === 'string' ? v.toLowerCase() : v) },
  json: { fn: (v) => (v === undefined ? undefined : JSON.stringify(v)) },
  string: { fn: (v) => (v === undefined || v === null ? v : textOf(v)) },
};

/** Text of a value inside mixed text: missing → '', objects → JSON. */
export function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  switch (typeof v) {
    case 'string': return v;
    case 'number': case 'bigint': case 'boolean': return String(v);
    default:
      if (v instanceof Dec) return v.toString();
      if (v instanceof Date) return v.toISOString();
      if (typeof (v as { toText?: unknown }).toText === 'function') return (v as { toText(): string }).toText();
      return JSON.stringify(v);
  }
}

/** Does `path` name (or start inside) one of the arrays in scope? Returns depth and remaining segments. */
function matchScope(ref: TemplateRef, scope: Scope): { depth: number; rest: Seg[] } | undefined {
  for (let d = scope.depth; d >= 1; d--) {
    for (const prefix of scope.prefixes[d] ?? []) {
      if (!prefix) continue;
      if (ref.path === prefix) return { depth: d, rest: [] };
      if (ref.path.startsWith(prefix + '.')) {
        const rest = parsePath(ref.path.slice(prefix.length + 1));
        if (rest) return { depth: d, rest };
      }
    }
  }
  return undefined;
}

/**
 * When a template is just a plain one-key read from a known frame (`{{tid}}` on the record, `{{order_list.oid}}`
 * inside order_list), the frame depth and key: the target compiler inlines those reads on its hot path.
 */
export function simpleRead(parts: TemplatePart[], scope: Scope): { depth: number; key: string } | undefined {
  if (parts.length !== 1 || typeof parts[0] === 'string') return undefined;
  const ref = parts[0]!;
  if (ref.fmts.length || (ref.segs.length === 1 && typeof ref.segs[0] === 'string' && VAR_NAME.test(ref.segs[0]))) return undefined;
  if (ref.root) return ref.segs.length === 1 && typeof ref.segs[0] === 'string' ? { depth: 0, key: ref.segs[0] } : undefined;
  const m = matchScope(ref, scope);
  if (m) return m.rest.length === 1 && typeof m.rest[0] === 'string' ? { depth: m.depth, key: m.rest[0] } : undefined;
  if (scope.depth === 0 && ref.segs.length === 1 && typeof ref.segs[0] === 'string') return { depth: 0, key: ref.segs[0] };
  return undefined;
}

/** Reader for the raw value of a reference (before formatters). */
export function compileRefReader(ref: TemplateRef, scope: Scope): Getter {
  if (ref.root) {
    const g = compileGetter(ref.segs);
    return (rc) => g(rc.frames[0]);
  }
  if (ref.segs.length === 1 && typeof ref.segs[0] === 'string' && VAR_NAME.test(ref.segs[0])) {
    const name = ref.segs[0];
    const field = compileFieldReader(ref, scope);
    const engineVar = ENGINE_VARS.has(name);
    return (rc) => {
      const v = readVar(rc, name);
      if (v !== undefined) return v;
      const f = field(rc);
      if (f === undefined && engineVar) throw new Fail(`variable ${name} is not set for this run`);
      return f;
    };
  }
  return compileFieldReader(ref, scope);
}

function compileFieldReader(ref: TemplateRef, scope: Scope): Getter {
  const m = matchScope(ref, scope);
  if (m) {
    const d = m.depth;
    if (m.rest.length === 0) return (rc) => rc.frames[d];
    const g = compileGetter(m.rest);
    return (rc) => g(rc.frames[d]);
  }
  const g = compileGetter(ref.segs);
  if (scope.depth === 0) return (rc) => g(rc.frames[0]);
  // Unprefixed name inside an array element: the innermost element that has it, else the record.
  const head = ref.segs[0] as string;
  const depth = scope.depth;
  return (rc) => {
    const frames = rc.frames;
    for (let d = depth; d >= 1; d--) {
      const el = frames[d];
      if (el !== null && typeof el === 'object' && (el as Record<string, unknown>)[head] !== undefined) return g(el);
    }
    return g(frames[0]);
  };
}

/** Reader for a reference with its formatters applied. */
export function compileRef(ref: TemplateRef, scope: Scope): Getter {
  const read = compileRefReader(ref, scope);
  if (ref.fmts.length === 0) return read;
  const fmts = ref.fmts.map((f) => ({ fn: FORMATTERS[f.name]!.fn, arg: f.arg }));
  return (rc) => {
    let v = read(rc);
    for (const f of fmts) v = f.fn(v, rc, f.arg);
    return v;
  };
}

/**
 * A whole template. A single reference keeps the value's type (numbers, arrays, objects pass through);
 * mixed text gives a string with missing values as ''.
 */
export function compileTemplate(parts: TemplatePart[], scope: Scope): Getter {
  if (parts.length === 1 && typeof parts[0] !== 'string') return compileRef(parts[0]!, scope);
  if (parts.length === 0) return () => '';
  const compiled = parts.map((p) => (typeof p === 'string' ? p : compileRef(p, scope)));
  if (compiled.length === 2) {
    const [a, b] = compiled;
    if (typeof a === 'string' && typeof b !== 'string') return (rc) => a + textOf(b!(rc));
    if (typeof a !== 'string' && typeof b === 'string') return (rc) => textOf(a!(rc)) + b;
  }
  return (rc) => {
    let s = '';
    for (const c of compiled) s += typeof c === 'string' ? c : textOf(c(rc));
    return s;
  };
}

/** All references of a template (for linting against the source metadata). */
export function refsOf(parts: TemplatePart[]): TemplateRef[] {
  return parts.filter((p): p is TemplateRef => typeof p !== 'string');
}

