/**
 * Values inside `_function`: SQL NULL (null), text (string), exact numbers (Dec), date-times (SqlDate), and
 * opaque JSON (lists/objects from the record, passed through but not computed on).
 *
 * Conversions follow MySQL where it is sensible ('10' + 1 = 11, '10' = 10 is true, NULL propagates) and are loud
 * where MySQL is silently wrong for integration work: text that is not a number in arithmetic ('abc' + 1) and
 * division by zero fail the record instead of giving 1 / NULL. Text comparison is binary (case-sensitive).
 */
import { cmp, Dec, decFromNumber, parseDec, ONE, ZERO } from '../decimal.ts';
import { Fail } from '../runtime.ts';
import { formatDate, formatDateTime, formatTime, toEpochMs } from '../time.ts';

export type SV = null | string | Dec | SqlDate | object;

export class SqlDate {
  constructor(
    readonly epochMs: number,
    readonly tz: string,
    readonly kind: 'datetime' | 'date' | 'time' = 'datetime',
  ) {}

  toText(): string {
    if (this.kind === 'date') return formatDate(this.epochMs, this.tz);
    if (this.kind === 'time') return formatTime(this.epochMs, this.tz);
    return formatDateTime(this.epochMs, this.tz);
  }

  toJSON(): string {
    return this.toText();
  }
}

/** A record value (from a template) as an SQL value. */
export function fromJs(v: unknown): SV {
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case 'string': return v;
    case 'number': return decFromNumber(v) ?? null;
    case 'boolean': return v ? ONE : ZERO;
    case 'bigint': return new Dec(v, 0);
    case 'object':
      if (v instanceof Date) return new SqlDate(v.getTime(), 'UTC');
      return v as object;
    default:
      return String(v);
  }
}

/** An SQL value as a plain JSON value for user functions: numbers when exact, else text. */
export function toJs(v: SV): unknown {
  if (v instanceof Dec) return v.toSafeNumber() ?? v.toString();
  if (v instanceof SqlDate) return v.toText();
  return v;
}

export function describeSv(v: SV): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 37)}…` : v}'`;
  if (v instanceof Dec) return v.toString();
  if (v instanceof SqlDate) return `'${v.toText()}'`;
  return Array.isArray(v) ? `a list of ${v.length}` : 'an object';
}

export function isOpaque(v: SV): boolean {
  return v !== null && typeof v === 'object' && !(v instanceof Dec) && !(v instanceof SqlDate);
}

export function text(v: SV): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Dec) return v.toString();
  if (v instanceof SqlDate) return v.toText();
  return JSON.stringify(v);
}

function dateNumber(d: SqlDate): Dec {
  const t = d.toText().replace(/\D/g, '');
  return parseDec(t)!;
}

/** Number view; '' is 0 as in MySQL; other non-numeric text fails. */
export function num(v: SV, what = 'value'): Dec | null {
  if (v === null) return null;
  if (v instanceof Dec) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return ZERO;
    const d = parseDec(t);
    if (d) return d;
    throw new Fail(`${what} ${describeSv(v)} is not a number`);
  }
  if (v instanceof SqlDate) return dateNumber(v);
  throw new Fail(`${what} is ${describeSv(v)}, not a number`);
}

/** Leading-number reading of text (MySQL boolean context: 'abc' is 0, '1x' is 1). */
function leadingNumber(s: string): Dec {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? parseDec(m[0])! : ZERO;
}

/** MySQL truth: NULL stays unknown; numbers ≠ 0 are true; text is read as its leading number. */
export function truth(v: SV): boolean | null {
  if (v === null) return null;
  if (v instanceof Dec) return v.sign() !== 0;
  if (typeof v === 'string') return leadingNumber(v).sign() !== 0;
  if (v instanceof SqlDate) return true;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

export const fromBool = (b: boolean | null): SV => (b === null ? null : b ? ONE : ZERO);

export function epochOf(v: SV, tz: string, what: string): number | null {
  if (v === null) return null;
  if (v instanceof SqlDate) return v.epochMs;
  if (v instanceof Dec) {
    const ms = toEpochMs(v.toNumber(), tz);
    if (ms !== undefined) return ms;
  } else if (typeof v === 'string') {
    if (v.trim() === '' || v.startsWith('0000-00-00')) return null;
    const ms = toEpochMs(v, tz);
    if (ms !== undefined) return ms;
  }
  throw new Fail(`${what}: ${describeSv(v)} is not a date`);
}

const DATEISH = /^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}/;

/** Three-way comparison (null when either side is NULL), MySQL-style type rules. */
export function compare(a: SV, b: SV, tz: string): number | null {
  if (a === null || b === null) return null;
  if (isOpaque(a) || isOpaque(b)) throw new Fail(`cannot compare ${describeSv(a)} with ${describeSv(b)}`);
  if (a instanceof Dec && b instanceof Dec) return cmp(a, b);
  if (a instanceof SqlDate || b instanceof SqlDate) {
    const other = a instanceof SqlDate ? b : a;
    if (other instanceof SqlDate || (typeof other === 'string' && DATEISH.test(other))) {
      const x = epochOf(a, tz, 'comparison')!;
      const y = epochOf(b, tz, 'comparison')!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  if (a instanceof Dec || b instanceof Dec) {
    // number vs text: numerically when the text is a number, else as text
    const s = (a instanceof Dec ? b : a) as string | SqlDate;
    const d = typeof s === 'string' ? parseDec(s.trim() === '' ? '0' : s) : undefined;
    if (d) return a instanceof Dec ? cmp(a, d) : cmp(d, b as Dec);
  }
  const x = text(a)!;
  const y = text(b)!;
  return x < y ? -1 : x > y ? 1 : 0;
}
