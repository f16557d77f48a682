/**
 * `_findCollection` support on the engine side: find which schemes and fields the workspace's mappings look up,
 * so the store can index exactly those (SQLite expression indexes on the record content), and answer lookups.
 */
import { scanFind } from '../mapping/lookup.ts';
import type { SchemeDef } from '../metadata/types.ts';

/** scheme id → the fields its records are looked up by (`where` names). */
export function lookedUpFields(schemes: SchemeDef[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      let at = v.indexOf('_findCollection');
      while (at >= 0) {
        const s = scanFind(v, at);
        if (!('error' in s)) {
          let set = out.get(s.schemeId);
          if (!set) out.set(s.schemeId, (set = new Set()));
          for (const c of s.conds) set.add(c.name);
        }
        at = v.indexOf('_findCollection', at + 1);
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  for (const s of schemes) visit([s.source.metadata, s.target.metadata]);
  return out;
}
