/**
 * Field validation driven by the catalogue (the same metadata the docs show): required, varchar length in
 * code points, integers, decimals, enums, datetimes, nested lists. Returns the first problem, as the real
 * server answers one message per call.
 */
import type { WdtParam } from '../catalogue.ts';
import { codePointLength } from '../sign.ts';
import { parseBeijing, ZERO_TIME } from './time.ts';

const INT = /^-?\d+$/;
const DEC = /^-?(\d+(\.\d*)?|\.\d+)$/;

export function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** Problem with one value of a param, or undefined. `path` names it in the message. */
export function checkValue(param: WdtParam, v: unknown, path: string): string | undefined {
  if (isEmpty(v)) return param.is_required ? `${path} 不能为空` : undefined;
  switch (param.type) {
    case 'array': {
      if (!Array.isArray(v)) return `${path} 必须是数组`;
      if (param.children) {
        for (let i = 0; i < v.length; i++) {
          const e = checkObject(param.children, v[i], `${path}[${i}]`);
          if (e) return e;
        }
      }
      return undefined;
    }
    case 'object':
      if (typeof v !== 'object' || Array.isArray(v)) return `${path} 必须是对象`;
      return param.children ? checkObject(param.children, v, path) : undefined;
  }
  if (typeof v === 'object' || typeof v === 'boolean') return `${path} 类型错误`;
  const s = String(v);
  switch (param.type) {
    case 'int': {
      if (!INT.test(s.trim())) return `${path} 必须是整数: ${s}`;
      const n = Number(s);
      if (param.enum && !(String(n) in param.enum)) {
        return `${path} 取值无效: ${s} (可选 ${Object.keys(param.enum).join('/')})`;
      }
      if (param.min !== undefined && n < param.min) return `${path} 不能小于 ${param.min}`;
      if (param.max !== undefined && n > param.max) return `${path} 不能大于 ${param.max}`;
      return undefined;
    }
    case 'float':
      if (!DEC.test(s.trim())) return `${path} 必须是数字: ${s}`;
      if (Math.abs(Number(s)) >= 1e15) return `${path} 数值超出范围`;
      return undefined;
    case 'datetime':
      if (s !== ZERO_TIME && parseBeijing(s) === undefined) return `${path} 时间格式错误, 应为 yyyy-MM-dd HH:mm:ss: ${s}`;
      return undefined;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${path} 日期格式错误, 应为 yyyy-MM-dd: ${s}`;
      return undefined;
    default:
      if (param.maxLength !== undefined && codePointLength(s) > param.maxLength) {
        return `${path} 超过最大长度 ${param.maxLength}`;
      }
      if (param.enum && !(s in param.enum)) return `${path} 取值无效: ${s}`;
      return undefined;
  }
}

export function checkObject(params: WdtParam[], obj: unknown, path: string): string | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return `${path} 必须是对象`;
  const o = obj as Record<string, unknown>;
  for (const p of params) {
    const e = checkValue(p, o[p.field], path ? `${path}.${p.field}` : p.field);
    if (e) return e;
  }
  return undefined;
}
