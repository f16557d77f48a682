import fc from 'fast-check';
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';
import { describe, expect, it } from 'vitest';
import { compileTarget, type MappedRecord } from '../../src/mapping/index.ts';
import { add, cmp, Dec, div, mul, parseDec, roundHalfUp, sub, POW10 } from '../../src/mapping/decimal.ts';
import type { MetaParam } from '../../src/metadata/types.ts';

dayjs.extend(utc);
dayjs.extend(timezone);

const decArb = fc.record({ u: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), s: fc.integer({ min: 0, max: 8 }) }).map(({ u, s }) => new Dec(u, s));

/** Exact rational comparison a == b for Dec values. */
const same = (a: Dec, b: Dec) => cmp(a, b) === 0;
const ref = (d: Dec) => ({ n: d.unscaled, s: d.scale });

function one(p: MetaParam, content: Record<string, unknown>) {
  return (compileTarget({ api: 't', request: [p] }).map(content, { now: new Date(0) }) as MappedRecord).item[p.field];
}

describe('decimal properties', () => {
  it('text round-trip', () => {
    fc.assert(fc.property(decArb, (d) => same(parseDec(d.toString())!, d)));
  });

  it('add / sub / mul agree with integer arithmetic on a common scale', () => {
    fc.assert(fc.property(decArb, decArb, (a, b) => {
      const s = Math.max(a.scale, b.scale);
      const x = ref(a).n * POW10(s - a.scale), y = ref(b).n * POW10(s - b.scale);
      expect(add(a, b)).toEqual(new Dec(x + y, s));
      expect(sub(a, b)).toEqual(new Dec(x - y, s));
      expect(same(mul(a, b), new Dec(a.unscaled * b.unscaled, a.scale + b.scale))).toBe(true);
      expect(same(sub(add(a, b), b), a)).toBe(true);
    }));
  });

  it('division is within half a unit of the last digit', () => {
    fc.assert(fc.property(decArb, decArb.filter((d) => d.unscaled !== 0n), (a, b) => {
      const q = div(a, b)!;
      // |a - q*b| <= 0.5 * 10^-q.scale * |b|
      const err = sub(a, mul(q, b));
      const absErr = err.unscaled < 0n ? new Dec(-err.unscaled, err.scale) : err;
      const absB = b.unscaled < 0n ? new Dec(-b.unscaled, b.scale) : b;
      const bound = mul(new Dec(5n, q.scale + 1), absB);
      return cmp(absErr, bound) <= 0;
    }));
  });

  it('ROUND half away from zero', () => {
    fc.assert(fc.property(decArb, fc.integer({ min: 0, max: 6 }), (a, d) => {
      const r = roundHalfUp(a, d);
      const diff = sub(a, r);
      const absDiff = diff.unscaled < 0n ? new Dec(-diff.unscaled, diff.scale) : diff;
      expect(cmp(absDiff, new Dec(5n, d + 1))).toBeLessThanOrEqual(0);
      if (cmp(absDiff, new Dec(5n, d + 1)) === 0 && a.sign() !== 0) {
        // ties move away from zero
        expect(Math.sign(Number(r.toString()))).toBe(a.sign());
        expect(cmp(new Dec(r.unscaled < 0n ? -r.unscaled : r.unscaled, r.scale), new Dec(a.unscaled < 0n ? -a.unscaled : a.unscaled, a.scale))).toBe(1);
      }
    }));
  });

  it('_function sums of money strings are exact (no binary float drift)', () => {
    const money = fc.tuple(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }))
      .map(([y, f]) => `${y}.${String(f).padStart(2, '0')}`);
    const t = compileTarget({ api: 't', request: [{ field: 'x', type: 'string', value: '_function {{a}} + {{b}} - {{c}}' }] });
    fc.assert(fc.property(money, money, money, (a, b, c) => {
      const got = (t.map({ a, b, c }) as MappedRecord).item.x as string;
      const want = add(sub(parseDec(a)!, parseDec(c)!), parseDec(b)!);
      return same(parseDec(got)!, want);
    }));
  });
});

describe('template properties', () => {
  const literal = fc.string().filter((s) => !s.includes('{{') && !s.includes('}}') && !s.startsWith('_function') && !s.startsWith('_findCollection') && s.trim() !== '');
  const fieldName = fc.stringMatching(/^[a-z_\u4e00-\u4e2f][a-z0-9_\u4e00-\u4e2f]{0,12}$/).filter((s) => !/^\d/.test(s));

  it('text without braces is a fixed value', () => {
    fc.assert(fc.property(literal, (s) => one({ field: 'x', value: s }, {}) === s));
  });

  it('prefix{{field}}suffix renders the value in place', () => {
    // (a prefix ending in '{' or a suffix starting with '}' would make '{{{x}}' — not a template)
    fc.assert(fc.property(literal.filter((p) => !p.endsWith('{')), fieldName, fc.string(), literal.filter((p) => !p.startsWith('}')), (pre, f, v, post) => {
      return one({ field: 'x', value: `${pre}{{${f}}}${post}` }, { [f]: v }) === `${pre}${v}${post}`;
    }));
  });

  it('a lone {{field}} passes any JSON value through unchanged', () => {
    fc.assert(fc.property(fieldName, fc.jsonValue().filter((v) => v !== null), (f, v) => {
      expect(one({ field: 'x', value: `{{${f}}}` }, { [f]: v })).toEqual(v);
    }));
  });

  it('record text inside quoted _function templates stays data', () => {
    const t = compileTarget({ api: 't', request: [{ field: 'x', value: "_function CONCAT('<', '{{s}}', '>')" }] });
    fc.assert(fc.property(fc.string(), (s) => (t.map({ s }) as MappedRecord).item.x === `<${s}>`));
  });

  it('array children map element by element', () => {
    const t = compileTarget({
      api: 't',
      request: [{ field: 'out', type: 'array', value: 'lines', children: [{ field: 'a', value: '{{lines.a}}' }, { field: 'b', value: 'b={{lines.a}}' }] }],
    });
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 20 }), (vals) => {
      const out = (t.map({ lines: vals.map((a) => ({ a })) }) as MappedRecord).item.out as Record<string, unknown>[];
      expect(out).toEqual(vals.map((a) => ({ a, b: `b=${a}` })));
    }));
  });
});

describe('coercion properties', () => {
  const coerce = (type: string, v: unknown) => one({ field: 'x', type, value: '{{v}}' }, { v });

  it('coercion is idempotent', () => {
    const inputs: Record<string, fc.Arbitrary<unknown>> = {
      string: fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
      int: fc.oneof(fc.integer(), fc.integer().map(String), fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String)),
      float: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), decArb.map((d) => d.toString())),
      datetime: fc.integer({ min: 0, max: 4_000_000_000 }),
      date: fc.integer({ min: 0, max: 4_000_000_000 }),
      // numbers below 1e11 read as seconds, so millisecond values start in 1973
      时间戳毫秒: fc.integer({ min: 100_000_000, max: 4_000_000_000 }).map((s) => s * 1000),
      boolean: fc.oneof(fc.boolean(), fc.constantFrom('1', '0', 'true', 'false', '是', '否')),
    };
    for (const [type, arb] of Object.entries(inputs)) {
      fc.assert(fc.property(arb, (v) => {
        const once = coerce(type, v);
        expect(coerce(type, once)).toEqual(once);
      }), { numRuns: 200 });
    }
  });

  it('float coercion of decimal text is exact: the number prints as the canonical text', () => {
    fc.assert(fc.property(decArb, (d) => {
      const out = coerce('float', d.toString());
      const canon = d.toString();
      if (typeof out === 'number') return String(out) === canon || parseDec(String(out))!.toString() === canon;
      return out === canon;
    }));
  });

  it('datetime formatting agrees with dayjs in Asia/Shanghai and round-trips through 时间戳秒', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (secs) => {
      const text = coerce('datetime', secs);
      expect(text).toBe(dayjs.unix(secs).tz('Asia/Shanghai').format('YYYY-MM-DD HH:mm:ss'));
      expect(coerce('时间戳秒', text)).toBe(secs);
    }));
  });

  it('datetime in a DST zone agrees with dayjs', () => {
    const t = compileTarget({ api: 't', request: [{ field: 'x', type: 'datetime', value: '{{v}}' }] });
    fc.assert(fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (secs) => {
      const got = (t.map({ v: secs }, { tz: 'Europe/Berlin' }) as MappedRecord).item.x;
      return got === dayjs.unix(secs).tz('Europe/Berlin').format('YYYY-MM-DD HH:mm:ss');
    }));
  });
});
