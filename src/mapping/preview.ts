/**
 * Dry run of a scheme on sample records: validate → condition → beatFlat → (groupCalculate) → map → batch,
 * exactly as the dispatcher would, without calling anything. Records whose call-level params are equal are packed
 * into one call, up to `batchSize` (default 50) items each.
 */
import { MappingError, ValidationError, type Issue } from '../errors.ts';
import type { MetadataDoc } from '../metadata/types.ts';
import { groupCalculateDetailed } from './group.ts';
import { isPlainObject } from './path.ts';
import type { MapContext } from './runtime.ts';
import { compileSource } from './source.ts';
import { compileTarget } from './target.ts';
import type { ValueMapDef } from './valuemap.ts';

export interface PreviewInput {
  source: MetadataDoc;
  target: MetadataDoc;
  options?: { batchSize?: number; [extra: string]: unknown };
  maps?: Record<string, ValueMapDef>;
}

export interface PreviewCall {
  call: Record<string, unknown>;
  items: Record<string, unknown>[];
  /** Source record ids of the items, in order (a sample without an id is `#<index>`). */
  recordIds: string[];
}

export interface PreviewError {
  /** Index of the sample. */
  index: number;
  id?: string;
  issues?: Issue[];
  message?: string;
  field?: string;
  expression?: string;
}

export interface PreviewResult {
  calls: PreviewCall[];
  errors: PreviewError[];
  /** Samples the source condition filtered out. */
  skipped: { index: number; id?: string; reason: string }[];
  /** Compile-time remarks on the target (e.g. references the source metadata does not declare). */
  warnings: Issue[];
}

export const DEFAULT_BATCH_SIZE = 50;

/** JSON with sorted keys: equal call params give equal keys whatever their order. */
export function stableKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableKey).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableKey(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function errorOf(index: number, id: string | undefined, e: unknown): PreviewError {
  const base: PreviewError = { index, ...(id !== undefined ? { id } : {}) };
  if (e instanceof ValidationError) return { ...base, issues: e.issues };
  if (e instanceof MappingError) return { ...base, message: e.message, field: e.field, ...(e.expression ? { expression: e.expression } : {}) };
  return { ...base, message: e instanceof Error ? e.message : String(e) };
}

/**
 * Run the scheme's mapping on samples. Bad metadata throws ValidationError (with paths under `source.metadata`
 * / `target.metadata`); per-record problems are listed in `errors`.
 */
export async function previewScheme(scheme: PreviewInput, samples: unknown[], ctx: MapContext = {}): Promise<PreviewResult> {
  const compileIssues: Issue[] = [];
  let src: ReturnType<typeof compileSource> | undefined;
  let tgt: ReturnType<typeof compileTarget> | undefined;
  try {
    src = compileSource(scheme.source, { basePath: 'source.metadata' });
  } catch (e) {
    if (e instanceof ValidationError) compileIssues.push(...e.issues);
    else throw e;
  }
  try {
    tgt = compileTarget(scheme.target, { source: scheme.source, maps: scheme.maps, basePath: 'target.metadata' });
  } catch (e) {
    if (e instanceof ValidationError) compileIssues.push(...e.issues);
    else throw e;
  }
  if (compileIssues.length) throw new ValidationError(compileIssues);
  const source = src!;
  const target = tgt!;
  const size = scheme.options?.batchSize;
  const batchSize = Number.isInteger(size) && (size as number) > 0 ? (size as number) : DEFAULT_BATCH_SIZE;

  const result: PreviewResult = { calls: [], errors: [], skipped: [], warnings: target.warnings };
  // 1. validate, filter, flatten
  const rows: { content: Record<string, unknown>; index: number; id: string }[] = [];
  (samples ?? []).forEach((sample, index) => {
    if (!isPlainObject(sample)) {
      result.errors.push({ index, issues: [{ path: '(record)', message: 'a record must be a JSON object' }] });
      return;
    }
    const id = source.idOf(sample);
    const issues = source.validate(sample);
    if (issues.length) {
      result.errors.push({ index, ...(id !== undefined ? { id } : {}), issues });
      return;
    }
    const kept = source.filter(sample);
    if (!kept) {
      result.skipped.push({ index, ...(id !== undefined ? { id } : {}), reason: 'filtered out by the source condition' });
      return;
    }
    for (const row of source.flatten(kept)) rows.push({ content: row, index, id: source.idOf(row) ?? `#${index}` });
  });

  // 2. merge (groupCalculate) when the target asks for it
  let units: { content: Record<string, unknown>; index: number; ids: string[] }[];
  if (scheme.target.groupCalculate !== undefined && scheme.target.groupCalculate !== null) {
    const grouped = groupCalculateDetailed(rows.map((r) => r.content), scheme.target.groupCalculate);
    units = grouped.map((g) => ({
      content: g.doc,
      index: rows[g.rows[0]!]!.index,
      ids: [...new Set(g.rows.map((i) => rows[i]!.id))],
    }));
  } else {
    units = rows.map((r) => ({ content: r.content, index: r.index, ids: [r.id] }));
  }

  // 3. map and batch by equal call params
  const open = new Map<string, PreviewCall>();
  for (const u of units) {
    let mapped;
    try {
      mapped = await target.map(u.content, ctx);
    } catch (e) {
      result.errors.push(errorOf(u.index, u.ids.join(','), e));
      continue;
    }
    const key = stableKey(mapped.call);
    let batch = open.get(key);
    if (!batch || batch.items.length >= batchSize) {
      batch = { call: mapped.call, items: [], recordIds: [] };
      open.set(key, batch);
      result.calls.push(batch);
    }
    batch.items.push(mapped.item);
    batch.recordIds.push(...u.ids);
  }
  result.errors.sort((a, b) => a.index - b.index);
  return result;
}
