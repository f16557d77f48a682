import { describe, expect, it } from 'vitest';
import { MappingError, ValidationError } from '../../src/errors.ts';
import { compileTarget, type LookupQuery, type MapContext } from '../../src/mapping/index.ts';
import type { MetaParam } from '../../src/metadata/types.ts';

/** A tiny in-memory store: scheme → stored record contents. */
function store(data: Record<string, Record<string, unknown>[]>, opts: { async?: boolean; log?: LookupQuery[] } = {}) {
  return (q: LookupQuery) => {
    opts.log?.push(q);
    const rows = (data[q.schemeId] ?? []).filter((r) => Object.entries(q.where).every(([k, v]) => String(r[k]) === String(v)));
    const vals = rows.map((r) => r[q.field]);
    return opts.async ? new Promise<unknown[]>((res) => setTimeout(() => res(vals), 1)) : vals;
  };
}

const PO = '8e620793-bebb-3167-95a4-9030368e5262';
const MAT = '66da8241-98f4-39f9-8fee-cac02e30e532';
const GOODS = '3d4d739d-5826-3090-a582-d17a10a43790';

const data = {
  [PO]: [
    { FBillNo: 'PO1', FID: 1001, FMaterialId_FNumber: 'M1', FPOOrderEntry_FEntryId: 11 },
    { FBillNo: 'PO1', FID: 1001, FMaterialId_FNumber: 'M2', FPOOrderEntry_FEntryId: 12 },
  ],
  [MAT]: [{ FNumber: 'M1', FIsKFPeriod: '1' }, { FNumber: 'M2', FIsKFPeriod: '0' }],
  [GOODS]: [{ number: 'SP1', id: 'G-1' }],
};

const target = (request: MetaParam[]) => compileTarget({ api: 't', request });

describe('_findCollection', () => {
  it('makes the target async and finds a header value (AND of conditions)', async () => {
    const t = target([
      { field: 'FID', value: `_findCollection find FID from ${PO} where FBillNo={{outer_no}}` },
      {
        field: 'FEntity', type: 'array', value: 'details_list',
        children: [
          { field: 'FEntryId', value: `_findCollection find FPOOrderEntry_FEntryId from ${PO} where FBillNo={{outer_no}} FMaterialId_FNumber={{details_list.goods_no}}` },
        ],
      },
    ]);
    expect(t.async).toBe(true);
    const log: LookupQuery[] = [];
    const out = await t.map({ outer_no: 'PO1', details_list: [{ goods_no: 'M2' }, { goods_no: 'M1' }, { goods_no: 'M9' }] }, { lookup: store(data, { log }) });
    expect(out.item).toEqual({ FID: 1001, FEntity: [{ FEntryId: 12 }, { FEntryId: 11 }, {}] });
    expect(log[0]).toEqual({ schemeId: PO, field: 'FID', where: { FBillNo: 'PO1' } });
    expect(log[1]).toEqual({ schemeId: PO, field: 'FPOOrderEntry_FEntryId', where: { FBillNo: 'PO1', FMaterialId_FNumber: 'M2' } });
  });

  it('works with an async store, caching equal lookups within a record', async () => {
    const log: LookupQuery[] = [];
    const t = target([
      { field: 'a', value: `_findCollection find FID from ${PO} where FBillNo={{no}}` },
      { field: 'b', value: `_findCollection find FID from ${PO} where FBillNo={{no}}` },
    ]);
    const out = await t.map({ no: 'PO1' }, { lookup: store(data, { async: true, log }) });
    expect(out.item).toEqual({ a: 1001, b: 1001 });
    expect(log).toHaveLength(1);
  });

  it('QEasy form without braces: where number=details_list.spec_no (solution-strategy 71955f66)', async () => {
    const t = target([
      {
        field: 'material_entity', type: 'array', value: 'details_list',
        children: [{ field: 'materialid_id', value: `_findCollection find id from ${GOODS} where number=details_list.spec_no` }],
      },
    ]);
    const out = await t.map({ details_list: [{ spec_no: 'SP1' }] }, { lookup: store(data) });
    expect(out.item).toEqual({ material_entity: [{ materialid_id: 'G-1' }] });
  });

  it('nested in _function with _endFind (relational-lookup doc example)', async () => {
    const expr = `_function case _findCollection find FIsKFPeriod from ${MAT} where FNumber={{details_list.goods_no}} _endFind when '1' then '{{details_list.batch_validTime}}' else '' end`;
    const t = target([{ field: 'lines', type: 'array', value: 'details_list', children: [{ field: 'FExpiryDate', value: expr }] }]);
    for (const async of [false, true]) {
      const out = await t.map(
        { details_list: [{ goods_no: 'M1', batch_validTime: '2025-01-01' }, { goods_no: 'M2', batch_validTime: '2026-01-01' }] },
        { lookup: store(data, { async }) },
      );
      expect(out.item).toEqual({ lines: [{ FExpiryDate: '2025-01-01' }, { FExpiryDate: '' }] });
    }
  });

  it("IFNULL(_findCollection …, '0') without _endFind, and literals in conditions", async () => {
    const t = target([
      { field: 'a', value: `_function IFNULL(_findCollection find FID from ${PO} where FBillNo={{order_no}}, '0')` },
      { field: 'b', value: `_findCollection find FPOOrderEntry_FEntryId from ${PO} where FBillNo='PO1' AND FMaterialId_FNumber="M2"` },
    ]);
    expect((await t.map({ order_no: 'nope' }, { lookup: store(data) })).item).toEqual({ a: '0', b: 12 });
    expect((await t.map({ order_no: 'PO1' }, { lookup: store(data) })).item).toEqual({ a: 1001, b: 12 });
  });

  it('no match → no value (is_required then reports it); empty condition values do not query', async () => {
    const log: LookupQuery[] = [];
    const t = target([{ field: 'FID', is_required: true, value: `_findCollection find FID from ${PO} where FBillNo={{outer_no}}` }]);
    await expect(t.map({ outer_no: 'X' }, { lookup: store(data, { log }) })).rejects.toThrow(ValidationError);
    await expect(t.map({}, { lookup: store(data, { log }) })).rejects.toThrow(/FID: is required/);
    expect(log).toHaveLength(1);
  });

  it('a lookup that fails or has no store is a MappingError naming the field and expression', async () => {
    const expr = `_findCollection find FID from ${PO} where FBillNo={{no}}`;
    const t = target([{ field: 'FID', value: expr }]);
    const boom: MapContext = { lookup: () => Promise.reject(new Error('store offline')) };
    const err = (await Promise.resolve(t.map({ no: 'PO1' }, boom)).then(() => undefined, (e: unknown) => e as MappingError))!;
    expect(err).toBeInstanceOf(MappingError);
    expect(err.field).toBe('FID');
    expect(err.expression).toBe(expr);
    expect(err.message).toContain('store offline');
    const err2 = (await Promise.resolve(t.map({ no: 'PO1' }, {})).then(() => undefined, (e: unknown) => e as MappingError))!;
    expect(err2).toBeInstanceOf(MappingError);
    expect(err2.message).toContain('needs a record store');
    const err3 = (await Promise.resolve(t.map({ no: 'PO1' }, { lookup: () => { throw new Error('sync boom'); } })).then(() => undefined, (e: unknown) => e as MappingError))!;
    expect(err3.message).toContain('sync boom');
  });

  it('rejects malformed lookups at compile time', () => {
    const bad = (v: string) => {
      try {
        target([{ field: 'x', value: v }]);
      } catch (e) {
        return (e as ValidationError).issues[0]!.message;
      }
      return 'compiled';
    };
    expect(bad('_findCollection find FID from X')).toMatch(/bad _findCollection/);
    expect(bad('_findCollection find FID from X where')).toMatch(/bad _findCollection/);
    expect(bad('_findCollection find FID from X where a={{b}} trailing words')).toMatch(/unexpected text/);
    expect(bad('_findCollection find FID from X where a={{b')).toMatch(/unexpected text|bad|unbalanced/);
  });
});
