/**
 * WDT openapi2 request signing, as the official PHP SDK (`WdtClient::packData` + `makeSign`) does it:
 *
 *   1. every param except `sign`, sorted by key (byte order);
 *   2. each as `%02d-key:%04d-value`, where the numbers are lengths in Unicode code points (PHP `iconv_strlen`)
 *      and the widths are minimums (a 12,345-character value is prefixed `12345-`);
 *   3. joined with `;`, the appsecret appended, md5 as 32 lower-case hex digits.
 *
 * Public SDKs that count UTF-8 bytes or UTF-16 units agree with this only on ASCII; the server follows the
 * official rule, so Chinese JSON, emoji and long values must be counted in code points.
 */
import { createHash } from 'node:crypto';

export type SignParams = Record<string, string | number>;

/** Length in Unicode code points (`[...s].length`), without building the array. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

const ASCII = /^[\x00-\x7f]*$/;

/** Byte order of the UTF-8 encodings (PHP `ksort` on strings); keys are ASCII in practice. */
export function byteOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The packed string the sign is computed over, without the appsecret. `sign` is excluded. */
export function packParams(params: SignParams): string {
  const keys = Object.keys(params).filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null);
  keys.sort(byteOrder);
  const parts: string[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = String(params[k]);
    parts[i] = `${pad(codePointLength(k), 2)}-${k}:${pad(codePointLength(v), 4)}-${v}`;
  }
  return parts.join(';');
}

/** md5(packParams(params) + appsecret), lower-case hex. */
export function wdtSign(params: SignParams, appsecret: string): string {
  return createHash('md5').update(packParams(params) + appsecret, 'utf8').digest('hex');
}
