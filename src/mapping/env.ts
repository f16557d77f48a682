/** Compile-time state shared by the target compiler, `_function` and `_findCollection`. */
import type { Issue } from '../errors.ts';
import type { ValueMapDef } from './valuemap.ts';

export interface CompileEnv {
  issues: Issue[];
  warnings: Issue[];
  maps: Record<string, ValueMapDef>;
  /** Set when any value uses `_findCollection` (map() becomes async). */
  usesLookup: boolean;
  /** Field paths the source metadata declares (for lint warnings), when known. */
  sourceFields?: Set<string>;
}

export function newEnv(maps: Record<string, ValueMapDef> = {}): CompileEnv {
  return { issues: [], warnings: [], maps, usesLookup: false };
}
