/**
 * Wall-clock time in a named zone (default Asia/Shanghai, which WDT and most Chinese systems speak).
 * Offsets come from dayjs' timezone plugin (Intl underneath) and are cached per zone and hour, so formatting a
 * date in the hot path costs a few integer operations instead of an Intl call.
 */
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';

dayjs.extend(utc);
dayjs.extend(timezone);

export const DEFAULT_TZ = 'Asia/Shanghai';

const HOUR = 3_600_000;
const offsetCache = new Map<string, Map<number, number>>();

/** true when `tz` is a zone name Intl knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** UTC offset in minutes of `tz` at instant `ms`. */
export function tzOffsetMinutes(tz: string, ms: number): number {
  // China has had no DST since 1991: skip the lookup entirely for modern dates.
  if ((tz === 'Asia/Shanghai' || tz === 'PRC' || tz === 'Asia/Chongqing') && ms > 694_224_000_000) return 480;
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let byHour = offsetCache.get(tz);
  if (!byHour) {
    if (!isValidTimeZone(tz)) throw new RangeError(`unknown time zone '${tz}'`);
    byHour = new Map();
    offsetCache.set(tz, byHour);
  }
  const bucket = Math.floor(ms / HOUR);
  let off = byHour.get(bucket);
  if (off === undefined) {
    off = dayjs(ms).tz(tz).utcOffset();
    if (byHour.size > 10_000) byHour.clear();
    byHour.set(bucket, off);
  }
  return off;
}

/** Epoch ms of a wall-clock time in `tz` (month 1-12). */
export function wallToEpoch(tz: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0, msec = 0): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, msec);
  const guess = wall - tzOffsetMinutes(tz, wall) * 60_000;
  return wall - tzOffsetMinutes(tz, guess) * 60_000;
}

export interface WallParts {
  y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number; wd: number;
}

export function epochToWall(tz: string, ms: number): WallParts {
  const t = new Date(ms + tzOffsetMinutes(tz, ms) * 60_000);
  return {
    y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(),
    h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds(), wd: t.getUTCDay(),
  };
}

const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const p4 = (n: number) => (n >= 1000 ? String(n) : String(n).padStart(4, '0'));

/** `YYYY-MM-DD HH:mm:ss` in tz. */
export function formatDateTime(ms: number, tz: string): string {
  const t = new Date(ms + tzOffsetMinutes(tz, ms) * 60_000);
  return `${p4(t.getUTCFullYear())}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}`;
}

/** `YYYY-MM-DD` in tz. */
export function formatDate(ms: number, tz: string): string {
  const t = new Date(ms + tzOffsetMinutes(tz, ms) * 60_000);
  return `${p4(t.getUTCFullYear())}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())}`;
}

/** `HH:mm:ss` in tz. */
export function formatTime(ms: number, tz: string): string {
  const t = new Date(ms + tzOffsetMinutes(tz, ms) * 60_000);
  return `${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}`;
}

const CANON_DT_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const CANON_D_RE = /^\d{4}-\d{2}-\d{2}$/;
const DIM = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const num2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

/** Calendar check of `YYYY-MM-DD…` text already matched by shape (cheap: no Date object). */
function validYmd(s: string): boolean {
  const mo = num2(s, 5);
  const d = num2(s, 8);
  if (mo < 1 || mo > 12 || d < 1 || d > DIM[mo - 1]!) return false;
  if (mo === 2 && d === 29) {
    const y = num2(s, 0) * 100 + num2(s, 2);
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  }
  return true;
}

/** Text already in `YYYY-MM-DD HH:mm:ss` form and a real calendar time (zero dates pass: callers treat them as "not set"). */
export const CANONICAL_DATETIME = {
  test(s: string): boolean {
    if (!CANON_DT_RE.test(s)) return false;
    if (s.startsWith('0000-00-00')) return true;
    return validYmd(s) && num2(s, 11) < 24 && num2(s, 14) < 60 && num2(s, 17) < 60;
  },
};

/** Text already in `YYYY-MM-DD` form and a real calendar date. */
export const CANONICAL_DATE = {
  test(s: string): boolean {
    if (!CANON_D_RE.test(s)) return false;
    return s.startsWith('0000-00-00') || validYmd(s);
  },
};

const DATE_RE =
  /^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;
const COMPACT_RE = /^\s*(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?\s*$/;
const CN_RE = /^\s*(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})秒?)?)?\s*$/;

/** Zero dates (`0000-00-00 …`) some systems (WDT) send for "not set". */
export function isZeroDate(s: string): boolean {
  return s.startsWith('0000-00-00');
}

/**
 * Parse a date-time string to epoch ms. Wall-clock text is read in `tz`; an explicit `Z`/`+08:00` wins.
 * Accepts `YYYY-MM-DD[ HH:mm[:ss[.SSS]]]`, `/` or `.` separators, ISO `T`, `YYYYMMDD[HHmmss]`, `2024年1月2日`.
 * Returns undefined when the text is not a valid date.
 */
export function parseDateText(text: string, tz: string): number | undefined {
  let m = DATE_RE.exec(text);
  let y: number, mo: number, d: number, h = 0, mi = 0, s = 0, frac = 0;
  let zone: string | undefined;
  if (m) {
    y = +m[1]!; mo = +m[2]!; d = +m[3]!;
    if (m[4] !== undefined) { h = +m[4]; mi = +m[5]!; s = m[6] ? +m[6] : 0; }
    if (m[7]) frac = Math.round(Number(`0.${m[7]}`) * 1000);
    zone = m[8];
  } else if ((m = COMPACT_RE.exec(text))) {
    y = +m[1]!; mo = +m[2]!; d = +m[3]!;
    if (m[4] !== undefined) { h = +m[4]; mi = +m[5]!; s = +m[6]!; }
  } else if ((m = CN_RE.exec(text))) {
    y = +m[1]!; mo = +m[2]!; d = +m[3]!;
    if (m[4] !== undefined) { h = +m[4]; mi = +m[5]!; s = m[6] ? +m[6] : 0; }
  } else {
    return undefined;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  // Reject 2024-02-30 and friends.
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (zone) {
    let off = 0;
    if (zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    }
    return Date.UTC(y, mo - 1, d, h, mi, s, frac) - off * 60_000;
  }
  return wallToEpoch(tz, y, mo, d, h, mi, s, frac);
}

/**
 * Epoch ms of a time value: Date, epoch seconds or milliseconds (numbers below 1e11 are seconds; larger are ms),
 * numeric strings likewise, or date text. undefined when it is not a time.
 */
export function toEpochMs(v: unknown, tz: string): number | undefined {
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return Math.abs(v) < 1e11 ? Math.round(v * 1000) : Math.round(v);
  }
  if (typeof v === 'bigint') return toEpochMs(Number(v), tz);
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) {
      // 8 or 14 digits read as YYYYMMDD[HHmmss] first; epoch seconds have 10 digits for any recent date.
      if (s.length === 8 || s.length === 14) {
        const compact = parseDateText(s, tz);
        if (compact !== undefined) return compact;
      }
      return toEpochMs(Number(s), tz);
    }
    return parseDateText(s, tz);
  }
  if (v && typeof v === 'object' && typeof (v as { epochMs?: unknown }).epochMs === 'number') {
    return (v as { epochMs: number }).epochMs;
  }
  return undefined;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** MySQL DATE_FORMAT specifiers (%Y %m %d %H %i %s %f %y %c %e %k %h %l %p %a %b %M %W %j %T %r %%). */
export function mysqlDateFormat(ms: number, tz: string, fmt: string): string {
  const w = epochToWall(tz, ms);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i === fmt.length - 1) {
      out += c;
      continue;
    }
    const f = fmt[++i];
    const h12 = w.h % 12 === 0 ? 12 : w.h % 12;
    switch (f) {
      case 'Y': out += p4(w.y); break;
      case 'y': out += p2(w.y % 100); break;
      case 'm': out += p2(w.mo); break;
      case 'c': out += String(w.mo); break;
      case 'd': out += p2(w.d); break;
      case 'e': out += String(w.d); break;
      case 'H': out += p2(w.h); break;
      case 'k': out += String(w.h); break;
      case 'h': case 'I': out += p2(h12); break;
      case 'l': out += String(h12); break;
      case 'i': out += p2(w.mi); break;
      case 's': case 'S': out += p2(w.s); break;
      case 'f': out += String(w.ms * 1000).padStart(6, '0'); break;
      case 'p': out += w.h < 12 ? 'AM' : 'PM'; break;
      case 'M': out += MONTHS[w.mo - 1]; break;
      case 'b': out += MONTHS[w.mo - 1]!.slice(0, 3); break;
      case 'W': out += DAYS[w.wd]; break;
      case 'a': out += DAYS[w.wd]!.slice(0, 3); break;
      case 'w': out += String(w.wd); break;
      case 'j': {
        const doy = Math.floor((Date.UTC(w.y, w.mo - 1, w.d) - Date.UTC(w.y, 0, 1)) / 86_400_000) + 1;
        out += String(doy).padStart(3, '0');
        break;
      }
      case 'T': out += `${p2(w.h)}:${p2(w.mi)}:${p2(w.s)}`; break;
      case 'r': out += `${p2(h12)}:${p2(w.mi)}:${p2(w.s)} ${w.h < 12 ? 'AM' : 'PM'}`; break;
      case '%': out += '%'; break;
      default: out += f; break;
    }
  }
  return out;
}

/** Add calendar units in tz (month/year clamp to month end like MySQL: 01-31 + 1 month = 02-29). */
export function addInterval(ms: number, tz: string, amount: number, unit: string): number | undefined {
  const u = unit.toLowerCase();
  switch (u) {
    case 'microsecond': return ms + amount / 1000;
    case 'second': return ms + amount * 1000;
    case 'minute': return ms + amount * 60_000;
    case 'hour': return ms + amount * HOUR;
    case 'day': case 'week': {
      // Calendar days keep the wall-clock time across DST changes.
      const w = epochToWall(tz, ms);
      const days = u === 'week' ? amount * 7 : amount;
      const t = new Date(Date.UTC(w.y, w.mo - 1, w.d + days));
      return wallToEpoch(tz, t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), w.h, w.mi, w.s, w.ms);
    }
    case 'month': case 'quarter': case 'year': {
      const months = u === 'month' ? amount : u === 'quarter' ? amount * 3 : amount * 12;
      const w = epochToWall(tz, ms);
      const total = w.y * 12 + (w.mo - 1) + months;
      const y = Math.floor(total / 12);
      const mo = total - y * 12 + 1;
      const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      return wallToEpoch(tz, y, mo, Math.min(w.d, last), w.h, w.mi, w.s, w.ms);
    }
    default:
      return undefined;
  }
}
