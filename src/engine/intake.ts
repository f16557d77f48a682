/**
 * Intake of pushed records: validate each item against the scheme's source metadata, apply the source
 * `condition` and `beatFlat`, and commit the valid ones durably (group commit) before anyone is answered.
 * Each item gets its own result; valid items are committed even when others in the same push are rejected.
 */
import { createHash } from 'node:crypto';
import type { Issue } from '../errors.ts';
import type { IdCheckMode, IntakeItem } from '../store/types.ts';
import type { GroupCommitter } from './group-commit.ts';
import type { SchemeRuntime } from './runtime.ts';

export type ItemResult =
  | { index: number; status: 'accepted'; id: string; recordId: number }
  | { index: number; status: 'duplicate'; id: string; recordId: number }
  | { index: number; status: 'filtered'; id?: string; reason: string }
  | { index: number; status: 'rejected'; id?: string; issues: Issue[] };

export interface IntakeSummary {
  accepted: number;
  duplicate: number;
  filtered: number;
  rejected: number;
  results: ItemResult[];
}

export async function intakeRecords(
  rt: SchemeRuntime,
  committer: GroupCommitter,
  content: unknown[],
  opts: { idCheck?: IdCheckMode; origin: Record<string, unknown> },
): Promise<IntakeSummary> {
  const idCheck = opts.idCheck ?? rt.idCheck;
  const results: ItemResult[] = new Array(content.length);
  const items: IntakeItem[] = [];
  /** For each committed item: which pushed item it came from (beatFlat makes several from one). */
  const owners: number[] = [];
  content.forEach((raw, index) => {
    const issues = rt.source.validate(raw);
    const rec = raw as Record<string, unknown>;
    if (issues.length) {
      results[index] = { index, status: 'rejected', id: safeId(rt, rec), issues };
      return;
    }
    if (!rt.source.accept(rec)) {
      results[index] = { index, status: 'filtered', id: safeId(rt, rec), reason: 'does not match the scheme condition' };
      return;
    }
    const flat = rt.source.flatten(rec);
    const idField = rt.def.source.metadata.id!;
    const staged: IntakeItem[] = [];
    for (const r of flat) {
      const sourceId = rt.source.idOf(r);
      if (sourceId === undefined || sourceId === '') {
        results[index] = { index, status: 'rejected', issues: [{ path: idField, message: 'required: the record id field is missing or empty' }] };
        return;
      }
      const json = JSON.stringify(r);
      staged.push({
        schemeId: rt.def.id,
        sourceId,
        number: rt.source.numberOf(r),
        content: json,
        hash: createHash('md5').update(json).digest('hex'),
        idCheck,
        origin: opts.origin,
      });
    }
    for (const s of staged) {
      items.push(s);
      owners.push(index);
    }
  });
  if (items.length) {
    const committed = await committer.submit(items);
    committed.forEach((c, i) => {
      const index = owners[i];
      const prev = results[index];
      // A flattened push is "accepted" when any of its lines was accepted.
      if (prev && prev.status === 'accepted') return;
      results[index] = { index, status: c.outcome, id: items[i].sourceId, recordId: c.recordId };
    });
  }
  const summary: IntakeSummary = { accepted: 0, duplicate: 0, filtered: 0, rejected: 0, results };
  for (const r of results) summary[r.status]++;
  return summary;
}

function safeId(rt: SchemeRuntime, rec: Record<string, unknown>): string | undefined {
  if (typeof rec !== 'object' || rec === null) return undefined;
  try {
    return rt.source.idOf(rec);
  } catch {
    return undefined;
  }
}
