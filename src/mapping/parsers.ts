/**
 * Value parsers (`"parser": {"name": …, "params": …}`), applied after type coercion: the field's `type` describes
 * the value going in, the parser reshapes it for the target (an array joined into "a,b", a code wrapped as
 * `{"FNumber": code}` for Kingdee …). Add your own with `registerParser`.
 */
import { Dec } from './decimal.ts';
import { Fail } from './runtime.ts';
import { textOf } from './template.ts';

export interface ParserSpec {
  name: string;
  params?: unknown;
  [extra: string]: unknown;
}

export interface ParserInfo {
  /** Output key of the field the parser runs for. */
  field: string;
}

export type ParserFn = (value: unknown, spec: ParserSpec, info: ParserInfo) => unknown;

interface ParserEntry {
  fn: ParserFn;
  /** Checked at compile time: a message for bad params, or undefined. */
  validate?: (spec: ParserSpec) => string | undefined;
}

const registry = new Map<string, ParserEntry>();

/** Register (or replace) a parser. Throwing inside `fn` fails the record with a MappingError naming the field. */
export function registerParser(
  name: string,
  fn: ParserFn,
  opts: { validate?: (spec: ParserSpec) => string | undefined } = {},
): void {
  if (!name || typeof name !== 'string') throw new TypeError('parser name must be a non-empty string');
  registry.set(name, { fn, validate: opts.validate });
}

export function getParser(name: string): ParserEntry | undefined {
  return registry.get(name);
}

export function parserNames(): string[] {
  return [...registry.keys()];
}

function sepOf(spec: ParserSpec): string {
  return typeof spec.params === 'string' && spec.params !== '' ? spec.params : ',';
}

function stringParam(spec: ParserSpec, key: string): string | undefined {
  const v = spec[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

registerParser('ArrayToString', (v, spec) => {
  if (Array.isArray(v)) return v.map((x) => textOf(x)).join(sepOf(spec));
  return typeof v === 'string' ? v : textOf(v);
}, { validate: (s) => (s.params !== undefined && typeof s.params !== 'string' ? 'params must be the separator string' : undefined) });

registerParser('StringToArray', (v, spec) => {
  if (Array.isArray(v)) return v;
  const s = textOf(v);
  if (s.trim() === '') return [];
  return s.split(sepOf(spec));
}, { validate: (s) => (s.params !== undefined && typeof s.params !== 'string' ? 'params must be the separator string' : undefined) });

registerParser('ConvertJson', (v) => {
  let obj = v;
  if (typeof obj === 'string') {
    try {
      obj = JSON.parse((obj as string).replace(/[\r\n]/g, ''));
    } catch {
      throw new Fail(`ConvertJson: not JSON: ${(obj as string).slice(0, 60)}`);
    }
  }
  if (Array.isArray(obj)) return obj;
  if (obj === null || typeof obj !== 'object') throw new Fail('ConvertJson: expected an object of key → value');
  return Object.entries(obj as Record<string, unknown>).map(([k, val]) => ({
    Key: /^-?\d{1,15}$/.test(k) ? Number(k) : k,
    Value: val,
  }));
});

registerParser('ConvertObjectParser', (v, spec) => ({ [spec.params as string]: v }), {
  validate: (s) => (typeof s.params === 'string' && s.params ? undefined : 'params must name the inner key, e.g. "FNumber"'),
});

function twoStage(spec: ParserSpec): [string, string] | undefined {
  const p1 = stringParam(spec, 'params1');
  const p2 = stringParam(spec, 'params2');
  if (p1 && p2) return [p1, p2];
  const p = spec.params;
  if (Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string' && x)) return [p[0], p[1]];
  if (typeof p === 'string' && p.split(',').length === 2) {
    const [a, b] = p.split(',').map((x) => x.trim());
    if (a && b) return [a, b];
  }
  return undefined;
}

registerParser('ConvertTwoStageObjectParser', (v, spec) => {
  const [a, b] = twoStage(spec)!;
  return { [a]: { [b]: v } };
}, { validate: (s) => (twoStage(s) ? undefined : 'needs params1 and params2 (or params: ["a","b"])') });

registerParser('K3WiseHeiHuCustomParser', (v, spec) => [{ keyName: spec.params, keyValue: v }], {
  validate: (s) => (typeof s.params === 'string' && s.params ? undefined : 'params must be the keyName'),
});

registerParser('workflowRequestTableFields', (v, spec, info) => ({
  fieldName: info.field,
  fieldValue: v instanceof Dec ? v.toString() : v,
  view: spec.view ?? true,
  edit: spec.edit ?? true,
  ...(spec.fieldId !== undefined ? { fieldId: String(spec.fieldId) } : {}),
}));
