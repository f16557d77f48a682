/**
 * The mapping engine: QEasy metadata compiled once into closures.
 *
 *   const src = compileSource(scheme.source.metadata);
 *   const tgt = compileTarget(scheme.target.metadata, { source: scheme.source.metadata, maps });
 *   src.validate(content); if (src.accept(content)) for (const row of src.flatten(content)) await tgt.map(row, ctx);
 *
 * See docs/mapping.md for the user-facing description of every feature.
 */
export { compileTarget, type CompiledTarget, type CompileTargetOptions, type MappedRecord } from './target.ts';
export { compileSource, flatten, FLAT_LINE, FLAT_SOURCE_ID, type CompiledSource } from './source.ts';
export { normaliseParams, childKey } from './params.ts';
export { groupCalculate, groupCalculateDetailed, validateGroupSpec, type GroupSpec, type GroupedDoc } from './group.ts';
export type { MapContext, LookupQuery } from './runtime.ts';
export { validateValueMap, parseValueMap, type ValueMapDef } from './valuemap.ts';
export { registerParser, parserNames, type ParserFn, type ParserSpec, type ParserInfo } from './parsers.ts';
export { FIELD_TYPES } from './coerce.ts';
export { FORMATTERS } from './template.ts';
export { Dec, parseDec } from './decimal.ts';
export { registerFunction, compileExpression } from './sql/index.ts';
export { inferFields, mergeFields } from './infer.ts';
export { suggestMappings, SYNONYMS, type MappingSuggestion } from './suggest.ts';
export { previewScheme, stableKey, DEFAULT_BATCH_SIZE, type PreviewInput, type PreviewResult, type PreviewCall, type PreviewError } from './preview.ts';
