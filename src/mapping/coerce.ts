/**
 * Coercion of a mapped value to its declared field type. Numbers are handled as exact decimals (an amount "12.30"
 * never becomes 12.299999…); date types are written in the context time zone. `undefined` means "no value"
 * (the key is left out); a value that cannot be converted throws `Fail` with a message for the issue list.
 */
import { Dec, parseDec } from './decimal.ts';
import { isPlainObject } from './path.ts';
import { Fail, type RC } from './runtime.ts';
import { textOf } from './template.ts';
import { CANONICAL_DATE, CANONICAL_DATETIME, formatDate, formatDateTime, isZeroDate, toEpochMs } from './time.ts';

export const FIELD_TYPES = [
  'string', 'int', 'float', 'number', 'boolean', 'object', 'array',
  'datetime', 'date', 'timestamp',
  '长日期时间', '短日期', '时间戳秒', '时间戳毫秒', 'SQL语句', '多行分录', '子表对象',
] as const;

const TYPE_SET = new Set<string>(FIELD_TYPES);

export function isKnownType(t: unknown): boolean {
  return t === undefined || t === null || t === '' || (typeof t === 'string' && TYPE_SET.has(t));
}

export type TypeKind = 'any' | 'string' | 'int' | 'float' | 'boolean' | 'object' | 'array' | 'datetime' | 'date' | 'ts' | 'tsms';

export function kindOf(type: unknown): TypeKind {
  switch (type) {
    case 'string': case 'SQL语句': return 'string';
    case 'int': return 'int';
    case 'float': case 'number': return 'float';
    case 'boolean': return 'boolean';
    case 'object': case '子表对象': return 'object';
    case 'array': case '多行分录': return 'array';
    case 'datetime': case '长日期时间': return 'datetime';
    case 'date': case '短日期': return 'date';
    case 'timestamp': case '时间戳秒': return 'ts';
    case '时间戳毫秒': return 'tsms';
    default: return 'any';
  }
}

export type Coercer = (v: unknown, rc: RC) => unknown;

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : textOf(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** Internal evaluation values (decimals, SQL dates) as plain JSON values. */
export function plain(v: unknown): unknown {
  if (v instanceof Dec) return v.toSafeNumber() ?? v.toString();
  if (v !== null && typeof v === 'object' && typeof (v as { toText?: unknown }).toText === 'function') {
    return (v as { toText(): string }).toText();
  }
  return v;
}

function decOf(v: unknown): Dec | undefined {
  if (v instanceof Dec) return v;
  if (typeof v === 'string') return parseDec(v);
  if (typeof v === 'number') return Number.isFinite(v) ? parseDec(String(v)) : undefined;
  if (typeof v === 'bigint') return new Dec(v, 0);
  return undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 't', 'on', '是']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'f', 'off', '否', '']);

function epochOf(v: unknown, rc: RC, what: string): number | undefined {
  if (v instanceof Dec) v = v.toNumber();
  const ms = toEpochMs(v, rc.tz);
  if (ms === undefined) throw new Fail(`expected ${what}, got ${show(v)}`);
  return ms;
}

/** The coercer for a declared type. `checkStructure=false` skips the object/array check (a parser reshapes it). */
export function coercerFor(type: unknown, checkStructure = true): Coercer {
  switch (kindOf(type)) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : v === undefined || v === null ? undefined : textOf(v));
    case 'int':
      return (v) => {
        if (typeof v === 'number') {
          if (Number.isInteger(v)) return v;
          throw new Fail(`expected an integer, got ${show(v)}`);
        }
        if (v === undefined || v === null || v === '') return undefined;
        if (typeof v === 'boolean') return v ? 1 : 0;
        const d = decOf(v);
        if (!d || !d.isInteger()) throw new Fail(`expected an integer, got ${show(v)}`);
        const s = d.toString();
        const n = Number(s);
        return Number.isSafeInteger(n) ? n : s;
      };
    case 'float':
      return (v) => {
        if (typeof v === 'number') {
          if (Number.isFinite(v)) return v;
          throw new Fail(`expected a number, got ${show(v)}`);
        }
        if (v === undefined || v === null || v === '') return undefined;
        if (typeof v === 'boolean') return v ? 1 : 0;
        const d = decOf(v);
        if (!d) throw new Fail(`expected a number, got ${show(v)}`);
        return d.toSafeNumber() ?? d.toString();
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === undefined || v === null) return undefined;
        if (typeof v === 'number' || v instanceof Dec) {
          const d = v instanceof Dec ? v : decOf(v)!;
          return d.sign() !== 0;
        }
        if (typeof v === 'string') {
          const s = v.trim().toLowerCase();
          if (TRUE_WORDS.has(s)) return true;
          if (FALSE_WORDS.has(s)) return s === '' ? undefined : false;
        }
        throw new Fail(`expected a boolean, got ${show(v)}`);
      };
    case 'datetime':
      return (v, rc) => {
        if (typeof v === 'string') {
          if (CANONICAL_DATETIME.test(v)) return isZeroDate(v) ? undefined : v;
          if (v === '' || isZeroDate(v)) return undefined;
        }
        if (v === undefined || v === null) return undefined;
        return formatDateTime(epochOf(v, rc, 'a date-time')!, rc.tz);
      };
    case 'date':
      return (v, rc) => {
        if (typeof v === 'string') {
          if (CANONICAL_DATE.test(v)) return isZeroDate(v) ? undefined : v;
          if (CANONICAL_DATETIME.test(v)) return isZeroDate(v) ? undefined : v.slice(0, 10);
          if (v === '' || isZeroDate(v)) return undefined;
        }
        if (v === undefined || v === null) return undefined;
        return formatDate(epochOf(v, rc, 'a date')!, rc.tz);
      };
    case 'ts':
      return (v, rc) => {
        if (v === undefined || v === null || v === '' || (typeof v === 'string' && isZeroDate(v))) return undefined;
        return Math.floor(epochOf(v, rc, 'a time')! / 1000);
      };
    case 'tsms':
      return (v, rc) => {
        if (v === undefined || v === null || v === '' || (typeof v === 'string' && isZeroDate(v))) return undefined;
        return epochOf(v, rc, 'a time');
      };
    case 'object':
      if (!checkStructure) return (v) => (v === null ? undefined : plain(v));
      return (v) => {
        if (v === undefined || v === null || v === '') return undefined;
        if (isPlainObject(v) && !(v instanceof Dec)) return v;
        if (typeof v === 'string' && v.trimStart().startsWith('{')) {
          try {
            const o = JSON.parse(v);
            if (isPlainObject(o)) return o;
          } catch { /* fall through */ }
        }
        throw new Fail(`expected an object, got ${show(v)}`);
      };
    case 'array':
      if (!checkStructure) return (v) => (v === null ? undefined : plain(v));
      return (v) => {
        if (Array.isArray(v)) return v;
        if (v === undefined || v === null || v === '') return undefined;
        if (typeof v === 'string' && v.trimStart().startsWith('[')) {
          try {
            const o = JSON.parse(v);
            if (Array.isArray(o)) return o;
          } catch { /* fall through */ }
        }
        throw new Fail(`expected a list, got ${show(v)}`);
      };
    default:
      return (v) => (v === null ? undefined : plain(v));
  }
}

/** Is `v` a missing value for an is_required check? */
export function isMissing(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}
