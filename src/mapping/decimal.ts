/**
 * Exact decimal arithmetic on bigint (value = unscaled / 10^scale). Amounts never pass through binary floats, so
 * 0.1 + 0.2 is 0.3 and 19.99 * 3 is 59.97. Scale rules follow MySQL's DECIMAL (add/sub: max scale, mul: sum of
 * scales, div: dividend scale + 4); printing trims trailing zeros unless the value came from ROUND/TRUNCATE/FORMAT
 * with an explicit number of digits (`fixed`).
 */

const MAX_SCALE = 30;

export class Dec {
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
    /** true: print exactly `scale` decimals (ROUND(x, 2) → "3.10"). */
    readonly fixed = false,
  ) {}

  toString(): string {
    return formatDec(this.unscaled, this.scale, this.fixed);
  }

  /** JS number when it round-trips exactly through its decimal text, else undefined. */
  toSafeNumber(): number | undefined {
    const s = this.toString();
    const n = Number(s);
    return Number.isFinite(n) && numberText(n) === s ? n : undefined;
  }

  toNumber(): number {
    return this.scale === 0 ? Number(this.unscaled) : Number(this.toString());
  }

  isInteger(): boolean {
    if (this.scale === 0) return true;
    return this.unscaled % POW10(this.scale) === 0n;
  }

  sign(): number {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }
}

const pow10Cache: bigint[] = [];
export function POW10(n: number): bigint {
  let v = pow10Cache[n];
  if (v === undefined) {
    v = 10n ** BigInt(n);
    if (n < 128) pow10Cache[n] = v;
  }
  return v;
}

function formatDec(u: bigint, scale: number, fixed: boolean): string {
  if (u === 0n) return fixed && scale > 0 ? `0.${'0'.repeat(scale)}` : '0';
  const neg = u < 0n;
  let digits = (neg ? -u : u).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    const cut = digits.length - scale;
    let end = digits.length;
    if (!fixed) while (end > cut && digits.charCodeAt(end - 1) === 48) end--;
    digits = end > cut ? `${digits.slice(0, cut)}.${digits.slice(cut, end)}` : digits.slice(0, cut);
  }
  return neg ? `-${digits}` : digits;
}

/** Plain decimal text of a JS number (no exponent). */
export function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const d = parseDec(s);
  return d ? d.toString() : s;
}

const DEC_RE = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

const SIMPLE_RE = /^-?\d{1,15}(\.\d{1,15})?$/;

/** Parse decimal text (`-12.50`, `.5`, `1e3`, surrounding blanks allowed). undefined when not a number. */
export function parseDec(text: string): Dec | undefined {
  if (text.length <= 31 && SIMPLE_RE.test(text)) {
    // common case (amounts, quantities): digits fit a double exactly, so skip BigInt's string parser
    const dot = text.indexOf('.');
    if (dot < 0) return new Dec(BigInt(Number(text)), 0);
    const digits = text.slice(0, dot) + text.slice(dot + 1);
    if (digits.length <= 16) return new Dec(BigInt(Number(digits)), text.length - dot - 1);
  }
  const m = DEC_RE.exec(text);
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  let scale = frac.length;
  let u = BigInt((int || '0') + frac);
  if (m[4] !== undefined) {
    const e = Number(m[4]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 400) return undefined;
    scale -= e;
    if (scale < 0) {
      u *= POW10(-scale);
      scale = 0;
    }
  }
  if (m[1] === '-') u = -u;
  return new Dec(u, scale);
}

export function decFromNumber(n: number): Dec | undefined {
  if (!Number.isFinite(n)) return undefined;
  if (Number.isSafeInteger(n)) return new Dec(BigInt(n), 0);
  return parseDec(String(n));
}

export function decFromInt(n: number | bigint): Dec {
  return new Dec(BigInt(n), 0);
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.unscaled, b.unscaled, a.scale];
  if (a.scale > b.scale) return [a.unscaled, b.unscaled * POW10(a.scale - b.scale), a.scale];
  return [a.unscaled * POW10(b.scale - a.scale), b.unscaled, b.scale];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, s] = align(a, b);
  return new Dec(x + y, s);
}

export function sub(a: Dec, b: Dec): Dec {
  const [x, y, s] = align(a, b);
  return new Dec(x - y, s);
}

export function mul(a: Dec, b: Dec): Dec {
  const r = new Dec(a.unscaled * b.unscaled, a.scale + b.scale);
  return r.scale > MAX_SCALE ? roundHalfUp(r, MAX_SCALE) : r;
}

/** a / b with `scale(a) + extra` decimals, rounded half away from zero (MySQL div_precision_increment = 4). undefined on b = 0. */
export function div(a: Dec, b: Dec, extra = 4): Dec | undefined {
  if (b.unscaled === 0n) return undefined;
  const scale = Math.min(MAX_SCALE, Math.max(a.scale + extra, 0));
  // a/b = (ua / 10^sa) / (ub / 10^sb); want q = round(a/b * 10^scale)
  let num = a.unscaled * POW10(scale + b.scale);
  let den = b.unscaled * POW10(a.scale);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  return new Dec(divRoundHalfUp(num, den), scale);
}

/** Integer division truncating toward zero (MySQL DIV). */
export function intDiv(a: Dec, b: Dec): Dec | undefined {
  if (b.unscaled === 0n) return undefined;
  const [x, y] = align(a, b);
  return new Dec(x / y, 0);
}

/** Remainder with the sign of the dividend (MySQL MOD / %). */
export function mod(a: Dec, b: Dec): Dec | undefined {
  if (b.unscaled === 0n) return undefined;
  const [x, y, s] = align(a, b);
  return new Dec(x % y, s);
}

export function neg(a: Dec): Dec {
  return new Dec(-a.unscaled, a.scale, a.fixed);
}

export function abs(a: Dec): Dec {
  return a.unscaled < 0n ? new Dec(-a.unscaled, a.scale, a.fixed) : a;
}

export function cmp(a: Dec, b: Dec): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function divRoundHalfUp(num: bigint, den: bigint): bigint {
  // den > 0
  const q = num / den;
  const r = num % den;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= den) return num < 0n ? q - 1n : q + 1n;
  return q;
}

/** Round to `d` decimals, half away from zero (MySQL ROUND on exact values). d may be negative. */
export function roundHalfUp(a: Dec, d: number, fixed = false): Dec {
  if (d >= a.scale) {
    if (!fixed) return a;
    return new Dec(a.unscaled * POW10(d - a.scale), d, true);
  }
  const drop = a.scale - d;
  const f = POW10(drop);
  let q = divRoundHalfUp(a.unscaled, f);
  if (d < 0) return new Dec(q * POW10(-d), 0, fixed);
  return new Dec(q, d, fixed);
}

/** Truncate toward zero to `d` decimals. */
export function truncate(a: Dec, d: number, fixed = false): Dec {
  if (d >= a.scale) return fixed ? new Dec(a.unscaled * POW10(d - a.scale), d, true) : a;
  const drop = a.scale - d;
  const q = a.unscaled / POW10(drop);
  if (d < 0) return new Dec(q * POW10(-d), 0, fixed);
  return new Dec(q, d, fixed);
}

export function floor(a: Dec): Dec {
  if (a.scale === 0) return a;
  const f = POW10(a.scale);
  let q = a.unscaled / f;
  if (a.unscaled < 0n && q * f !== a.unscaled) q -= 1n;
  return new Dec(q, 0);
}

export function ceil(a: Dec): Dec {
  if (a.scale === 0) return a;
  const f = POW10(a.scale);
  let q = a.unscaled / f;
  if (a.unscaled > 0n && q * f !== a.unscaled) q += 1n;
  return new Dec(q, 0);
}

export const ZERO = new Dec(0n, 0);
export const ONE = new Dec(1n, 0);

/** Decimal view of a JS value: numbers, numeric strings, bigint, booleans. undefined when it is not numeric. */
export function toDec(v: unknown): Dec | undefined {
  if (v instanceof Dec) return v;
  switch (typeof v) {
    case 'number':
      return decFromNumber(v);
    case 'string':
      return parseDec(v);
    case 'bigint':
      return new Dec(v, 0);
    case 'boolean':
      return v ? ONE : ZERO;
    default:
      return undefined;
  }
}
