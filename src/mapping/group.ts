/**
 * groupCalculate (target side, QEasy a/815): merge flattened rows into documents before writing.
 *
 *   "groupCalculate": { "headerGroup": ["shop_no", "stock_no"], "bodyGroup": ["details_spec"],
 *                       "bodyName": "details", "targetBodyName": "FEntity", "bodyMaxLine": 50,
 *                       "calculate": { "details_num": "$sum", "details_amount": "$sum" } }
 *
 * Rows with equal header fields form one document; inside it, rows with equal body fields form one line, whose
 * `calculate` fields are aggregated ($sum, $avg, $min, $max, $count, $first, $last, $push, $addToSet). Body fields
 * are the `<bodyName>_…` keys beatFlat produced; in the line they lose that prefix (`details_num` → `num`). The
 * lines go under `targetBodyName` (default bodyName), at most `bodyMaxLine` per document: more lines split the
 * document in several, each with its own header aggregates. Sums are exact decimals.
 */
import { MappingError, ValidationError, type Issue } from '../errors.ts';
import { add, cmp, Dec, div, toDec, ZERO } from './decimal.ts';
import { FLAT_LINE } from './source.ts';
import { textOf } from './template.ts';

export interface GroupSpec {
  headerGroup?: string[];
  bodyGroup?: string[];
  bodyName?: string;
  targetBodyName?: string;
  bodyMaxLine?: number;
  calculate?: Record<string, string>;
}

export interface GroupedDoc {
  doc: Record<string, unknown>;
  /** Indexes of the input rows merged into this document. */
  rows: number[];
}

const AGGS = ['$sum', '$avg', '$min', '$max', '$count', '$first', '$last', '$push', '$addToSet'] as const;

export function validateGroupSpec(spec: unknown, path = 'groupCalculate'): Issue[] {
  const issues: Issue[] = [];
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return [{ path, message: 'must be an object' }];
  const s = spec as Record<string, unknown>;
  const strList = (k: string) => {
    if (s[k] === undefined) return;
    if (!Array.isArray(s[k]) || !(s[k] as unknown[]).every((x) => typeof x === 'string' && x)) {
      issues.push({ path: `${path}.${k}`, message: 'must be a list of field names' });
    }
  };
  strList('headerGroup');
  strList('bodyGroup');
  for (const k of ['bodyName', 'targetBodyName']) {
    if (s[k] !== undefined && (typeof s[k] !== 'string' || !s[k])) issues.push({ path: `${path}.${k}`, message: 'must be a field name' });
  }
  if (s.bodyMaxLine !== undefined && !(Number.isInteger(s.bodyMaxLine) && (s.bodyMaxLine as number) > 0)) {
    issues.push({ path: `${path}.bodyMaxLine`, message: 'must be a positive integer' });
  }
  if (s.bodyGroup !== undefined && s.bodyName === undefined) issues.push({ path: `${path}.bodyName`, message: 'is required with bodyGroup' });
  if (s.calculate !== undefined) {
    if (s.calculate === null || typeof s.calculate !== 'object' || Array.isArray(s.calculate)) {
      issues.push({ path: `${path}.calculate`, message: 'must map field names to $sum, $avg …' });
    } else {
      for (const [k, v] of Object.entries(s.calculate as Record<string, unknown>)) {
        if (!(AGGS as readonly string[]).includes(v as string)) {
          issues.push({ path: `${path}.calculate.${k}`, message: `unknown aggregate '${String(v)}' (known: ${AGGS.join(', ')})` });
        }
      }
    }
  }
  return issues;
}

const keyOf = (row: Record<string, unknown>, fields: string[]) => JSON.stringify(fields.map((f) => row[f] ?? null));

function aggregate(op: string, field: string, rows: Record<string, unknown>[]): unknown {
  const vals = rows.map((r) => r[field]);
  const present = vals.filter((v) => v !== undefined && v !== null && v !== '');
  switch (op) {
    case '$count': return present.length;
    case '$first': return vals[0];
    case '$last': return vals[vals.length - 1];
    case '$push': return vals;
    case '$addToSet': {
      const seen = new Set<string>();
      return present.filter((v) => { const k = JSON.stringify(v); if (seen.has(k)) return false; seen.add(k); return true; });
    }
    case '$sum': case '$avg': {
      let total: Dec = ZERO;
      for (const v of present) {
        const d = toDec(v);
        if (!d) throw new MappingError(field, `${op}: ${JSON.stringify(v)} is not a number`);
        total = add(total, d);
      }
      let out = total;
      if (op === '$avg') {
        if (present.length === 0) return undefined;
        out = div(total, new Dec(BigInt(present.length), 0), 10)!;
      }
      // Text amounts keep their decimals ('0.10' + '0.20' = '0.30'); numbers stay numbers.
      if (typeof present[0] === 'string') return (op === '$sum' ? new Dec(out.unscaled, out.scale, true) : out).toString();
      return out.toSafeNumber() ?? out.toString();
    }
    case '$min': case '$max': {
      let best: unknown;
      for (const v of present) {
        if (best === undefined) { best = v; continue; }
        const a = toDec(v), b = toDec(best);
        const c = a && b ? cmp(a, b) : textOf(v) < textOf(best) ? -1 : textOf(v) > textOf(best) ? 1 : 0;
        if (op === '$min' ? c < 0 : c > 0) best = v;
      }
      return best;
    }
    default:
      return undefined;
  }
}

/** Group rows into documents, remembering which rows went where. */
export function groupCalculateDetailed(items: Record<string, unknown>[], spec: unknown): GroupedDoc[] {
  const issues = validateGroupSpec(spec);
  if (issues.length) throw new ValidationError(issues);
  const s = spec as GroupSpec;
  const headerGroup = s.headerGroup ?? [];
  const bodyName = s.bodyName;
  const prefix = bodyName ? `${bodyName}_` : undefined;
  const isBody = (k: string) => prefix !== undefined && k.startsWith(prefix);
  const calc = Object.entries(s.calculate ?? {});
  const bodyCalc = calc.filter(([k]) => isBody(k));
  const headCalc = calc.filter(([k]) => !isBody(k));
  const outName = s.targetBodyName ?? bodyName;
  const maxLine = s.bodyMaxLine ?? Infinity;

  const groups = new Map<string, number[]>();
  items.forEach((row, i) => {
    const k = keyOf(row, headerGroup);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  });

  const out: GroupedDoc[] = [];
  for (const idxs of groups.values()) {
    const first = items[idxs[0]!]!;
    const header: Record<string, unknown> = {};
    for (const k of Object.keys(first)) if (!isBody(k) && k !== FLAT_LINE) header[k] = first[k];

    if (!prefix) {
      const doc = { ...header };
      const rows = idxs.map((i) => items[i]!);
      for (const [k, op] of headCalc) doc[k] = aggregate(op, k, rows);
      out.push({ doc, rows: idxs });
      continue;
    }

    // Lines: one per body group (or per row without bodyGroup).
    const lines: { line: Record<string, unknown>; rows: number[] }[] = [];
    const byBody = new Map<string, { line: Record<string, unknown>; rows: number[] }>();
    for (const i of idxs) {
      const row = items[i]!;
      const bk = s.bodyGroup ? keyOf(row, s.bodyGroup) : String(i);
      let entry = byBody.get(bk);
      if (!entry) {
        const line: Record<string, unknown> = {};
        for (const k of Object.keys(row)) if (isBody(k)) line[k.slice(prefix.length)] = row[k];
        entry = { line, rows: [] };
        byBody.set(bk, entry);
        lines.push(entry);
      }
      entry.rows.push(i);
    }
    for (const e of lines) {
      const rows = e.rows.map((i) => items[i]!);
      for (const [k, op] of bodyCalc) e.line[k.slice(prefix.length)] = aggregate(op, k, rows);
    }
    for (let start = 0; start < lines.length || start === 0; start += maxLine) {
      const chunk = lines.slice(start, start + maxLine);
      const rowIdx = chunk.flatMap((c) => c.rows).sort((a, b) => a - b);
      const doc: Record<string, unknown> = { ...header };
      if (headCalc.length) {
        const rows = rowIdx.map((i) => items[i]!);
        for (const [k, op] of headCalc) doc[k] = aggregate(op, k, rows);
      }
      doc[outName!] = chunk.map((c) => c.line);
      out.push({ doc, rows: rowIdx.length ? rowIdx : idxs });
      if (lines.length === 0) break;
    }
  }
  return out;
}

/** Group rows into documents (see module doc). */
export function groupCalculate(items: Record<string, unknown>[], spec: unknown): Record<string, unknown>[] {
  return groupCalculateDetailed(items, spec).map((g) => g.doc);
}
