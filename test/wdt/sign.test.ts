import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codePointLength, packParams, wdtSign } from '../../src/connectors/wdt/sign.ts';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Independent, deliberately naive reading of the official PHP packData + makeSign. */
function naiveSign(params: Record<string, string | number>, secret: string): string {
  const keys = Object.keys(params).filter((k) => k !== 'sign').sort();
  const parts = keys.map((k) => {
    const v = String(params[k]);
    const kl = String([...k].length).padStart(2, '0');
    const vl = String([...v].length).padStart(4, '0');
    return `${kl}-${k}:${vl}-${v}`;
  });
  return md5(parts.join(';') + secret);
}

describe('wdtSign: official vectors', () => {
  it('V1 (official doc example) packs and signs exactly', () => {
    const params = {
      appkey: 'test2-xx', sid: 'test2', timestamp: '1470042310', page_no: '0', page_size: '40',
      start_time: '2016-08-01 12:00:00', end_time: '2016-08-01 13:00:00',
    };
    expect(packParams(params)).toBe(
      '06-appkey:0008-test2-xx;08-end_time:0019-2016-08-01 13:00:00;07-page_no:0001-0;09-page_size:0002-40;03-sid:0005-test2;10-start_time:0019-2016-08-01 12:00:00;09-timestamp:0010-1470042310',
    );
    expect(wdtSign(params, '12345')).toBe('ad4e6fe037ea6e3ba4768317be9d1309');
  });

  it('V3 (stockout query) signs exactly, numbers stringified', () => {
    const params = {
      sid: 'wdtsid', appkey: 'wdtsid-gw', timestamp: 1717200000, start_time: '2024-06-01 00:00:00',
      end_time: '2024-06-01 00:59:59', status: 95, page_no: 0, page_size: 100,
    };
    expect(wdtSign(params, 'abc123')).toBe('0da52db68be58b7db687c80da15484f8');
  });

  it('ignores an existing sign param', () => {
    const params = { appkey: 'test2-xx', sid: 'test2', timestamp: '1470042310', page_no: '0', page_size: '40', start_time: '2016-08-01 12:00:00', end_time: '2016-08-01 13:00:00' };
    expect(wdtSign({ ...params, sign: 'whatever' }, '12345')).toBe('ad4e6fe037ea6e3ba4768317be9d1309');
  });
});

describe('wdtSign: lengths are Unicode code points', () => {
  it('emoji (outside the BMP) counts as one character', () => {
    const params = { msg: 'a😀b' };
    expect(packParams(params)).toBe('03-msg:0003-a😀b');
    expect(wdtSign(params, 's')).toBe(md5('03-msg:0003-a😀bs'));
    expect('a😀b'.length).toBe(4); // a UTF-16 count would say 4: the wrong answer
  });

  it('&, +, = and a literal %20 are plain characters', () => {
    const params = { q: 'a&b+c=d%20e' };
    expect(packParams(params)).toBe('01-q:0011-a&b+c=d%20e');
    expect(wdtSign(params, 'x')).toBe(md5('01-q:0011-a&b+c=d%20ex'));
  });

  it('Chinese JSON counts characters, not bytes', () => {
    const json = JSON.stringify([{ tid: 'T1', buyer_nick: '张三' }]);
    expect(json).toBe('[{"tid":"T1","buyer_nick":"张三"}]');
    const params = { trade_list: json, shop_no: 'api_test' };
    expect(packParams(params)).toBe(`07-shop_no:0008-api_test;10-trade_list:0032-${json}`);
    expect(Buffer.byteLength(json)).toBe(36);
    expect(wdtSign(params, 'k')).toBe(md5(`07-shop_no:0008-api_test;10-trade_list:0032-${json}k`));
  });

  it('a value over 9,999 characters gets a 5-digit length prefix', () => {
    const v = 'x'.repeat(12345);
    expect(packParams({ v })).toBe(`01-v:12345-${v}`);
    const cn = '中'.repeat(10000);
    expect(packParams({ v: cn })).toBe(`01-v:10000-${cn}`);
    expect(wdtSign({ v: cn }, 'z')).toBe(md5(`01-v:10000-${cn}z`));
  });

  it('a non-ASCII appsecret is appended as UTF-8', () => {
    const params = { sid: 's' };
    expect(wdtSign(params, '密钥🔑')).toBe(md5('03-sid:0001-s密钥🔑'));
    expect(wdtSign(params, '密钥🔑')).toBe(createHash('md5').update(Buffer.concat([Buffer.from('03-sid:0001-s'), Buffer.from('密钥🔑', 'utf8')])).digest('hex'));
  });

  it('keys are sorted in byte order (underscore sorts after capitals, before lower case)', () => {
    expect(packParams({ b: '1', a_b: '2', A: '3', a: '4' })).toBe('01-A:0001-3;01-a:0001-4;03-a_b:0001-2;01-b:0001-1');
  });

  it('codePointLength agrees with [...s].length, lone surrogates included', () => {
    for (const s of ['', 'abc', '中文', '😀😀', 'a\ud800b', '\udc00', '👨‍👩‍👧']) expect(codePointLength(s)).toBe([...s].length);
  });
});

describe('wdtSign: properties', () => {
  const key = fc.stringMatching(/^[a-z_]{1,20}$/);
  const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.integer());

  it('equals the naive code-point implementation for any params and secret', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), fc.string({ unit: 'grapheme', maxLength: 20 }), (params, secret) => {
        expect(wdtSign(params, secret)).toBe(naiveSign(params, secret));
      }),
      { numRuns: 500 },
    );
  });

  it('every packed entry declares the code-point length of its value', () => {
    fc.assert(
      fc.property(key, fc.string({ unit: 'grapheme', maxLength: 200 }), (k, v) => {
        const packed = packParams({ [k]: v });
        const m = /^(\d{2,})-([a-z_]+):(\d{4,})-/.exec(packed)!;
        expect(Number(m[1])).toBe(k.length);
        expect(Number(m[3])).toBe([...v].length);
        expect(packed.slice(m[0].length)).toBe(v);
      }),
    );
  });
});
