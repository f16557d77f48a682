/**
 * Scalar functions of `_function` with MySQL semantics (NULL in → NULL out unless MySQL says otherwise).
 * Text functions count characters (code points), except LENGTH which counts UTF-8 bytes as MySQL does
 * (LENGTH('中') = 3, CHAR_LENGTH('中') = 1). Add your own with `registerFunction`.
 */
import {
  abs, ceil, Dec, floor, mod, roundHalfUp, truncate,
} from '../decimal.ts';
import { Fail, type RC } from '../runtime.ts';
import { epochToWall, mysqlDateFormat, wallToEpoch } from '../time.ts';
import { compare, describeSv, epochOf, fromJs, num, SqlDate, text, toJs, type SV } from './values.ts';

export interface FnDef {
  min: number;
  max: number;
  fn: (args: SV[], rc: RC) => SV;
}

export const FUNCTIONS = new Map<string, FnDef>();

function def(names: string | string[], min: number, max: number, fn: FnDef['fn']): void {
  for (const n of Array.isArray(names) ? names : [names]) FUNCTIONS.set(n, { min, max, fn });
}

/** Register a custom `_function` function (name is case-insensitive). Arguments arrive as plain JSON values
 *  (numbers when exact, otherwise decimal text; NULL as null); the return value is used as is. Throwing fails
 *  the record with a MappingError. */
export function registerFunction(
  name: string,
  fn: (args: unknown[]) => unknown,
  opts: { minArgs?: number; maxArgs?: number } = {},
): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`bad function name '${name}'`);
  FUNCTIONS.set(name.toUpperCase(), {
    min: opts.minArgs ?? 0,
    max: opts.maxArgs ?? Infinity,
    fn: (args) => fromJs(fn(args.map(toJs))),
  });
}

const hasSurrogates = (s: string) => /[\uD800-\uDFFF]/.test(s);
const chars = (s: string): string[] => (hasSurrogates(s) ? Array.from(s) : s.split(''));
const clen = (s: string) => (hasSurrogates(s) ? Array.from(s).length : s.length);

function int(v: SV, what: string): number | null {
  const d = num(v, what);
  if (d === null) return null;
  const r = roundHalfUp(d, 0);
  const n = Number(r.toString());
  if (!Number.isSafeInteger(n)) throw new Fail(`${what} ${describeSv(v)} is out of range`);
  return n;
}

const anyNull = (args: SV[]) => args.some((a) => a === null);

// ---- text ----
def('CONCAT', 1, Infinity, (a) => (anyNull(a) ? null : a.map((x) => text(x)!).join('')));
def('CONCAT_WS', 2, Infinity, (a) => {
  if (a[0] === null) return null;
  return a.slice(1).filter((x) => x !== null).map((x) => text(x)!).join(text(a[0])!);
});
def('LEFT', 2, 2, (a) => {
  if (anyNull(a)) return null;
  const n = int(a[1]!, 'LEFT length')!;
  return n <= 0 ? '' : chars(text(a[0]!)!).slice(0, n).join('');
});
def('RIGHT', 2, 2, (a) => {
  if (anyNull(a)) return null;
  const n = int(a[1]!, 'RIGHT length')!;
  const c = chars(text(a[0]!)!);
  return n <= 0 ? '' : c.slice(Math.max(0, c.length - n)).join('');
});
def(['SUBSTRING', 'SUBSTR', 'MID'], 2, 3, (a) => {
  if (anyNull(a)) return null;
  const c = chars(text(a[0]!)!);
  const pos = int(a[1]!, 'SUBSTRING position')!;
  const len = a.length > 2 ? int(a[2]!, 'SUBSTRING length')! : Infinity;
  if (pos === 0 || len < 1 || Math.abs(pos) > c.length) return '';
  const start = pos > 0 ? pos - 1 : c.length + pos;
  return c.slice(start, len === Infinity ? undefined : start + len).join('');
});
def('SUBSTRING_INDEX', 3, 3, (a) => {
  if (anyNull(a)) return null;
  const s = text(a[0]!)!;
  const delim = text(a[1]!)!;
  const count = int(a[2]!, 'SUBSTRING_INDEX count')!;
  if (delim === '' || count === 0) return '';
  const parts = s.split(delim);
  return count > 0 ? parts.slice(0, count).join(delim) : parts.slice(Math.max(0, parts.length + count)).join(delim);
});
function locate(sub: string, s: string, from = 1): number {
  if (from < 1) return 0;
  const c = chars(s);
  const start = c.slice(0, from - 1).join('').length;
  const i = s.indexOf(sub, start);
  if (i < 0) return 0;
  return clen(s.slice(0, i)) + 1;
}
def('LOCATE', 2, 3, (a) => {
  if (anyNull(a)) return null;
  return new Dec(BigInt(locate(text(a[0]!)!, text(a[1]!)!, a.length > 2 ? int(a[2]!, 'LOCATE position')! : 1)), 0);
});
def('INSTR', 2, 2, (a) => (anyNull(a) ? null : new Dec(BigInt(locate(text(a[1]!)!, text(a[0]!)!)), 0)));
def('REPLACE', 3, 3, (a) => {
  if (anyNull(a)) return null;
  const from = text(a[1]!)!;
  const s = text(a[0]!)!;
  return from === '' ? s : s.split(from).join(text(a[2]!)!);
});
const trimSpaces = (s: string, lead: boolean, trail: boolean) => {
  let i = 0, j = s.length;
  if (lead) while (i < j && s[i] === ' ') i++;
  if (trail) while (j > i && s[j - 1] === ' ') j--;
  return s.slice(i, j);
};
def('TRIM', 1, 1, (a) => (a[0] === null ? null : trimSpaces(text(a[0]!)!, true, true)));
def('LTRIM', 1, 1, (a) => (a[0] === null ? null : trimSpaces(text(a[0]!)!, true, false)));
def('RTRIM', 1, 1, (a) => (a[0] === null ? null : trimSpaces(text(a[0]!)!, false, true)));
def(['UPPER', 'UCASE'], 1, 1, (a) => (a[0] === null ? null : text(a[0]!)!.toUpperCase()));
def(['LOWER', 'LCASE'], 1, 1, (a) => (a[0] === null ? null : text(a[0]!)!.toLowerCase()));
def(['LENGTH', 'OCTET_LENGTH'], 1, 1, (a) => (a[0] === null ? null : new Dec(BigInt(Buffer.byteLength(text(a[0]!)!, 'utf8')), 0)));
def(['CHAR_LENGTH', 'CHARACTER_LENGTH'], 1, 1, (a) => (a[0] === null ? null : new Dec(BigInt(clen(text(a[0]!)!)), 0)));
function pad(a: SV[], left: boolean): SV {
  if (anyNull(a)) return null;
  const c = chars(text(a[0]!)!);
  const len = int(a[1]!, 'pad length')!;
  if (len > 100_000) throw new Fail('pad length is too large');
  const p = chars(text(a[2]!)!);
  if (len < 0) return null;
  if (c.length >= len) return c.slice(0, len).join('');
  if (p.length === 0) return null;
  const fill: string[] = [];
  while (fill.length < len - c.length) fill.push(p[fill.length % p.length]!);
  return left ? fill.join('') + c.join('') : c.join('') + fill.join('');
}
def('LPAD', 3, 3, (a) => pad(a, true));
def('RPAD', 3, 3, (a) => pad(a, false));
def('REPEAT', 2, 2, (a) => {
  if (anyNull(a)) return null;
  const s = text(a[0]!)!;
  const n = int(a[1]!, 'REPEAT count')!;
  if (n <= 0) return '';
  if (s.length * n > 1_000_000) throw new Fail('REPEAT result is too large');
  return s.repeat(n);
});
def('REVERSE', 1, 1, (a) => (a[0] === null ? null : chars(text(a[0]!)!).reverse().join('')));
def('FORMAT', 2, 3, (a) => {
  if (a[0] === null || a[1] === null) return null;
  const d = Math.max(0, Math.min(30, int(a[1]!, 'FORMAT decimals')!));
  const r = roundHalfUp(num(a[0]!, 'FORMAT value')!, d, true).toString();
  const neg = r.startsWith('-');
  const [ip, fp] = (neg ? r.slice(1) : r).split('.');
  const grouped = ip!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (fp !== undefined ? `.${fp}` : '');
});

// ---- numbers ----
def('ROUND', 1, 2, (a) => {
  if (anyNull(a)) return null;
  const x = num(a[0]!, 'ROUND value')!;
  const d = a.length > 1 ? int(a[1]!, 'ROUND decimals')! : 0;
  return roundHalfUp(x, Math.min(d, 30), a.length > 1 && d > 0);
});
def('TRUNCATE', 2, 2, (a) => {
  if (anyNull(a)) return null;
  const d = int(a[1]!, 'TRUNCATE decimals')!;
  return truncate(num(a[0]!, 'TRUNCATE value')!, Math.min(d, 30), d > 0);
});
def('FLOOR', 1, 1, (a) => (a[0] === null ? null : floor(num(a[0]!, 'FLOOR value')!)));
def(['CEIL', 'CEILING'], 1, 1, (a) => (a[0] === null ? null : ceil(num(a[0]!, 'CEIL value')!)));
def('ABS', 1, 1, (a) => (a[0] === null ? null : abs(num(a[0]!, 'ABS value')!)));
def('SIGN', 1, 1, (a) => (a[0] === null ? null : new Dec(BigInt(num(a[0]!, 'SIGN value')!.sign()), 0)));
def('MOD', 2, 2, (a) => {
  if (anyNull(a)) return null;
  const r = mod(num(a[0]!, 'MOD value')!, num(a[1]!, 'MOD divisor')!);
  if (!r) throw new Fail('division by zero in MOD');
  return r;
});
function extreme(a: SV[], rc: RC, sign: number): SV {
  if (anyNull(a)) return null;
  let best: SV = a[0]!;
  for (const x of a.slice(1)) if (compare(x, best, rc.tz)! * sign > 0) best = x;
  return best;
}
def('GREATEST', 2, Infinity, (a, rc) => extreme(a, rc, 1));
def('LEAST', 2, Infinity, (a, rc) => extreme(a, rc, -1));

// ---- null handling (IF / IFNULL / COALESCE are lazy special forms in compile.ts) ----
def('ISNULL', 1, 1, (a) => new Dec(a[0] === null ? 1n : 0n, 0));
def('NULLIF', 2, 2, (a, rc) => (compare(a[0]!, a[1]!, rc.tz) === 0 ? null : a[0]!));

// ---- dates (wall-clock in ctx.tz, default Asia/Shanghai) ----
const nowSec = (rc: RC) => Math.floor(rc.nowMs / 1000) * 1000;
def(['NOW', 'CURRENT_TIMESTAMP', 'SYSDATE', 'LOCALTIME', 'LOCALTIMESTAMP'], 0, 1, (_a, rc) => new SqlDate(nowSec(rc), rc.tz));
def(['CURDATE', 'CURRENT_DATE'], 0, 0, (_a, rc) => new SqlDate(nowSec(rc), rc.tz, 'date'));
def(['CURTIME', 'CURRENT_TIME'], 0, 1, (_a, rc) => new SqlDate(nowSec(rc), rc.tz, 'time'));
def('FROM_UNIXTIME', 1, 2, (a, rc) => {
  if (anyNull(a)) return null;
  const secs = num(a[0]!, 'FROM_UNIXTIME timestamp')!;
  const ms = Math.round(secs.toNumber() * 1000);
  if (!Number.isFinite(ms)) throw new Fail(`FROM_UNIXTIME: ${describeSv(a[0]!)} is out of range`);
  return a.length > 1 ? mysqlDateFormat(ms, rc.tz, text(a[1]!)!) : new SqlDate(ms, rc.tz);
});
def('UNIX_TIMESTAMP', 0, 1, (a, rc) => {
  if (a.length === 0) return new Dec(BigInt(Math.floor(rc.nowMs / 1000)), 0);
  const ms = epochOf(a[0]!, rc.tz, 'UNIX_TIMESTAMP');
  if (ms === null) return null;
  return ms % 1000 === 0 ? new Dec(BigInt(ms / 1000), 0) : new Dec(BigInt(ms), 3);
});
def('DATE_FORMAT', 2, 2, (a, rc) => {
  if (anyNull(a)) return null;
  const ms = epochOf(a[0]!, rc.tz, 'DATE_FORMAT');
  return ms === null ? null : mysqlDateFormat(ms, rc.tz, text(a[1]!)!);
});
def('DATE', 1, 1, (a, rc) => {
  const ms = epochOf(a[0]!, rc.tz, 'DATE');
  return ms === null ? null : new SqlDate(ms, rc.tz, 'date');
});
def('TIME', 1, 1, (a, rc) => {
  const ms = epochOf(a[0]!, rc.tz, 'TIME');
  return ms === null ? null : new SqlDate(ms, rc.tz, 'time');
});
const part = (name: string, pick: (w: ReturnType<typeof epochToWall>) => number) =>
  def(name, 1, 1, (a, rc) => {
    const ms = epochOf(a[0]!, rc.tz, name);
    return ms === null ? null : new Dec(BigInt(pick(epochToWall(rc.tz, ms))), 0);
  });
part('YEAR', (w) => w.y);
part('MONTH', (w) => w.mo);
part('QUARTER', (w) => Math.ceil(w.mo / 3));
part('DAY', (w) => w.d);
part('DAYOFMONTH', (w) => w.d);
part('HOUR', (w) => w.h);
part('MINUTE', (w) => w.mi);
part('SECOND', (w) => w.s);
part('DAYOFWEEK', (w) => w.wd + 1);
part('WEEKDAY', (w) => (w.wd + 6) % 7);
const dayNumber = (ms: number, tz: string) => {
  const w = epochToWall(tz, ms);
  return Math.round(Date.UTC(w.y, w.mo - 1, w.d) / 86_400_000);
};
def('DATEDIFF', 2, 2, (a, rc) => {
  const x = epochOf(a[0]!, rc.tz, 'DATEDIFF');
  const y = epochOf(a[1]!, rc.tz, 'DATEDIFF');
  if (x === null || y === null) return null;
  return new Dec(BigInt(dayNumber(x, rc.tz) - dayNumber(y, rc.tz)), 0);
});
def('LAST_DAY', 1, 1, (a, rc) => {
  const ms = epochOf(a[0]!, rc.tz, 'LAST_DAY');
  if (ms === null) return null;
  const w = epochToWall(rc.tz, ms);
  const last = new Date(Date.UTC(w.y, w.mo, 0)).getUTCDate();
  return new SqlDate(wallToEpoch(rc.tz, w.y, w.mo, last), rc.tz, 'date');
});
def('STR_TO_DATE', 2, 2, (a, rc) => {
  if (anyNull(a)) return null;
  const s = text(a[0]!)!;
  const f = text(a[1]!)!;
  let y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, hasTime = false;
  let i = 0;
  for (let k = 0; k < f.length; k++) {
    if (f[k] !== '%') {
      if (s[i] !== f[k]) return null;
      i++;
      continue;
    }
    const spec = f[++k];
    const width = spec === 'Y' ? 4 : 2;
    const m = new RegExp(`^\\d{1,${width}}`).exec(s.slice(i));
    if (!m) return null;
    const v = Number(m[0]);
    i += m[0].length;
    switch (spec) {
      case 'Y': y = v; break;
      case 'y': y = v < 70 ? 2000 + v : 1900 + v; break;
      case 'm': case 'c': mo = v; break;
      case 'd': case 'e': d = v; break;
      case 'H': case 'k': h = v; hasTime = true; break;
      case 'i': mi = v; hasTime = true; break;
      case 's': case 'S': sec = v; hasTime = true; break;
      default: throw new Fail(`STR_TO_DATE: format %${spec} is not supported`);
    }
  }
  if (i !== s.length || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return null;
  return new SqlDate(wallToEpoch(rc.tz, y, mo, d, h, mi, sec), rc.tz, hasTime ? 'datetime' : 'date');
});

