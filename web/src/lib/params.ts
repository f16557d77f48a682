/**
 * Helpers over QEasy parameter lists (request[], otherRequest[] …): flattening the tree into rows with paths,
 * editing one parameter by path, and reading / writing a target parameter's mapping rule.
 */
import type { MetaParam } from '../types';

export const AUTOFILL = '_autoFillResponse';

/** A row of a flattened parameter tree. `path` is dotted (order_list.oid); `key` addresses it for edits. */
export interface ParamRow {
  key: string;
  path: string;
  list: 'request' | 'otherRequest' | 'response';
  indexes: number[];
  depth: number;
  param: MetaParam;
  /** The array this row is a line field of, if any. */
  arrayPath?: string;
}

/** A child's own name: QEasy writes children either as `oid` or as `order_list.oid`. */
export function leafName(field: string, parentPath?: string): string {
  if (parentPath && field.startsWith(`${parentPath}.`)) return field.slice(parentPath.length + 1);
  return field;
}

export function flattenParams(list: MetaParam[] | undefined, listName: ParamRow['list'], parentPath = '', indexes: number[] = [], arrayPath?: string): ParamRow[] {
  const out: ParamRow[] = [];
  (list ?? []).forEach((p, i) => {
    const name = leafName(p.field, parentPath || undefined);
    const path = parentPath ? `${parentPath}.${name}` : name;
    const idx = [...indexes, i];
    out.push({ key: `${listName}:${idx.join('.')}`, path, list: listName, indexes: idx, depth: idx.length - 1, param: p, arrayPath });
    if (p.children?.length) {
      const isArray = p.type === 'array' || p.type === '多行分录';
      out.push(...flattenParams(p.children, listName, path, idx, isArray ? path : arrayPath));
    }
  });
  return out;
}

/** A copy of `list` with the parameter at `indexes` replaced by fn(param). */
export function updateParam(list: MetaParam[], indexes: number[], fn: (p: MetaParam) => MetaParam): MetaParam[] {
  const [i, ...rest] = indexes;
  return list.map((p, k) => {
    if (k !== i) return p;
    if (!rest.length) return fn(p);
    return { ...p, children: updateParam(p.children ?? [], rest, fn) };
  });
}

export function removeParam(list: MetaParam[], indexes: number[]): MetaParam[] {
  const [i, ...rest] = indexes;
  if (!rest.length) return list.filter((_, k) => k !== i);
  return list.map((p, k) => (k === i ? { ...p, children: removeParam(p.children ?? [], rest) } : p));
}

export type RuleMode = 'auto' | 'field' | 'fixed' | 'template' | 'function' | 'lookup' | 'array' | 'none';

const SINGLE_REF = /^\{\{\s*([^{}|]+?)\s*\}\}$/;

export const isAutofill = (p: MetaParam) => typeof p.describe === 'string' && p.describe.includes(AUTOFILL);
export const isArrayParam = (p: MetaParam) => p.type === 'array' || p.type === '多行分录' || p.type === 'object' || p.type === '子表对象';

export function ruleOf(p: MetaParam): { mode: RuleMode; text: string } {
  const v = p.value;
  if (typeof v === 'string' && v.trim()) {
    const s = v.trim();
    if (s.startsWith('_function')) return { mode: 'function', text: v };
    if (s.startsWith('_findCollection')) return { mode: 'lookup', text: v };
    const m = SINGLE_REF.exec(s);
    if (m) return { mode: 'field', text: m[1]! };
    if (s.includes('{{')) return { mode: 'template', text: v };
    if (isArrayParam(p)) return { mode: 'array', text: v };
    return { mode: 'fixed', text: v };
  }
  if (v !== undefined && v !== null && v !== '') return { mode: 'fixed', text: typeof v === 'string' ? v : JSON.stringify(v) };
  if (isAutofill(p)) return { mode: 'auto', text: '' };
  return { mode: 'none', text: '' };
}

function withoutAutofill(describe: unknown): string | undefined {
  if (typeof describe !== 'string') return undefined;
  const d = describe.replace(AUTOFILL, '').trim();
  return d || undefined;
}

/** The parameter with a new rule; the value's text is kept when the mode allows it. */
export function setRule(p: MetaParam, mode: RuleMode, text: string): MetaParam {
  const next: MetaParam = { ...p };
  delete next.value;
  const describe = withoutAutofill(p.describe);
  if (describe === undefined) delete next.describe;
  else next.describe = describe;
  switch (mode) {
    case 'auto':
      next.describe = AUTOFILL;
      break;
    case 'field':
      next.value = text ? `{{${text}}}` : '';
      break;
    case 'function':
      next.value = text.trim().startsWith('_function') ? text : `_function ${text}`.trimEnd();
      break;
    case 'lookup':
      next.value = text.trim().startsWith('_findCollection') ? text : `_findCollection ${text}`.trimEnd();
      break;
    case 'fixed':
    case 'template':
    case 'array':
      next.value = text;
      break;
    case 'none':
      break;
  }
  return next;
}

export const isRequired = (p: MetaParam) => p.is_required === true || p.is_required === 'true' || p.is_required === 1 || p.is_required === '1';

/** Keep the QEasy keys of a catalogue parameter (drop platform extras like wdtType, maxLength). */
export function toMetaParam(p: MetaParam): MetaParam {
  const out: MetaParam = { field: p.field };
  if (p.label !== undefined) out.label = p.label;
  if (p.type !== undefined) out.type = p.type;
  if (p.value !== undefined && p.value !== null) out.value = p.value;
  if (p.describe !== undefined) out.describe = p.describe;
  out.is_required = isRequired(p);
  if (p.children?.length) out.children = p.children.map(toMetaParam);
  return out;
}

/** A record shaped like the fields (for samples and the push help). */
export function exampleOf(fields: MetaParam[], parentPath = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const now = new Date(Date.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
  for (const f of fields) {
    const name = leafName(f.field, parentPath || undefined);
    const t = String(f.type ?? 'string');
    const path = parentPath ? `${parentPath}.${name}` : name;
    if (t === 'array' || t === '多行分录') out[name] = [exampleOf(f.children ?? [], path)];
    else if (t === 'object' || t === '子表对象') out[name] = exampleOf(f.children ?? [], path);
    else if (t === 'int' || t === 'number') out[name] = 1;
    else if (t === 'float') out[name] = '10.00';
    else if (t === 'boolean') out[name] = true;
    else if (t === 'datetime' || t === '长日期时间') out[name] = now;
    else if (t === 'date' || t === '短日期') out[name] = now.slice(0, 10);
    else out[name] = exampleText(name, now);
  }
  return out;
}

/** A plausible value for a text field, guessed from its name (amounts, counts, codes, times, phones). */
export function exampleText(name: string, now: string): string {
  const n = name.toLowerCase();
  if (/(amount|price|paid|fee|discount|money|total)$/.test(n)) return '10.00';
  if (/(num|qty|quantity|count)$/.test(n)) return '1';
  if (/(status|type|term|flag|kind)$/.test(n)) return '1';
  if (/(time|date)$/.test(n)) return now;
  if (/(mobile|phone|tel|telno)$/.test(n)) return '13800000000';
  return `${name}-001`;
}
