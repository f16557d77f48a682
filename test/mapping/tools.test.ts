import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { inferFields, mergeFields, previewScheme, suggestMappings, type LookupQuery } from '../../src/mapping/index.ts';
import type { MetadataDoc, MetaParam } from '../../src/metadata/types.ts';
import { seedOrder, seedSource, seedTarget } from './fixtures/seed.ts';

describe('inferFields', () => {
  it('guesses fields from a seed push, QEasy style (label = field, _autoFillResponse, dotted children)', () => {
    const fields = inferFields(seedOrder(1));
    const byField = Object.fromEntries(fields.map((f) => [f.field, f]));
    expect(byField.tid).toEqual({ field: 'tid', label: 'tid', type: 'string', describe: '_autoFillResponse', value: null });
    expect(byField.trade_time!.type).toBe('datetime');
    expect(byField.order_list!.type).toBe('array');
    expect(byField.order_list!.children!.map((c) => c.field)).toContain('order_list.oid');
    expect(byField.order_list!.children!.find((c) => c.field === 'order_list.oid')!.label).toBe('oid');
    // every source field of the seed page is found
    const inferredNames = new Set(fields.flatMap((f) => [f.field, ...(f.children ?? []).map((c) => c.field)]));
    const declared = (seedSource.request ?? []).flatMap((f) => [f.field, ...(f.children ?? []).map((c) => c.field)]);
    expect(declared.filter((n) => !inferredNames.has(n))).toEqual([]);
  });

  it('types: int, float, boolean, date, nested objects, scalar arrays; samples merge', () => {
    const fields = inferFields([
      { n: 1, f: 1, b: true, d: '2024-01-01', o: { k: 'x' }, tags: ['a'], x: null, mixed: 1 },
      { n: 2, f: 1.5, x: 'now text', mixed: 'one', lines: [{ a: 1 }, { b: '2' }] },
    ]);
    const t = Object.fromEntries(fields.map((f) => [f.field, f.type]));
    expect(t).toEqual({ n: 'int', f: 'float', b: 'boolean', d: 'date', o: 'object', tags: 'array', x: 'string', mixed: 'string', lines: 'array' });
    expect(fields.find((f) => f.field === 'o')!.children).toEqual([{ field: 'o.k', label: 'k', type: 'string', describe: '_autoFillResponse', value: null }]);
    expect(fields.find((f) => f.field === 'lines')!.children!.map((c) => [c.field, c.type])).toEqual([['lines.a', 'int'], ['lines.b', 'string']]);
    expect(inferFields('nope')).toEqual([]);
  });

  it('mergeFields keeps curated definitions and adds what only the sample has', () => {
    const existing: MetaParam[] = [
      { field: 'tid', label: '原始单号', type: 'string', is_required: true },
      { field: 'order_list', label: '明细', type: 'array' },
      { field: 'oid', label: '子订单', parent: 'order_list' },
    ];
    const merged = mergeFields(existing, inferFields({ tid: 'T1', new_field: 3, order_list: [{ oid: 'o', qty: 2 }] }));
    expect(merged).toEqual([
      { field: 'tid', label: '原始单号', type: 'string', is_required: true },
      {
        field: 'order_list', label: '明细', type: 'array',
        children: [
          { field: 'oid', label: '子订单', type: 'string' },
          { field: 'order_list.qty', label: 'qty', type: 'int', describe: '_autoFillResponse', value: null },
        ],
      },
      { field: 'new_field', label: 'new_field', type: 'int', describe: '_autoFillResponse', value: null },
    ]);
  });
});

describe('suggestMappings', () => {
  it('seed: every trade_push field the source has is matched by name', () => {
    const sugg = suggestMappings(seedTarget.request!, seedSource.request!);
    const map = Object.fromEntries(sugg.map((s) => [s.target, s.source]));
    expect(map.tid).toBe('tid');
    expect(map.receiver_address).toBe('receiver_address');
    expect(map.order_list).toBe('order_list');
    expect(map['order_list.oid']).toBe('order_list.oid');
    expect(map['order_list.goods_id']).toBe('order_list.goods_id');
    expect(map.purchase_id).toBeUndefined();
    expect(sugg.find((s) => s.target === 'tid')!.reason).toBe('same field name');
  });

  it('by Chinese label, synonyms and type, keeping line fields in the matched table', () => {
    const target: MetaParam[] = [
      { field: 'FBillNo', label: '单据编号', type: 'string' },
      { field: 'FDate', label: '日期', type: 'datetime' },
      { field: 'FCustId', label: '客户', type: 'string' },
      {
        field: 'FEntity', type: 'array', label: '明细',
        children: [
          { field: 'FMaterialId', label: '物料编码' },
          { field: 'FQty', label: '数量', type: 'float' },
          { field: 'FRemark', label: '备注' },
        ],
      },
    ];
    const source: MetaParam[] = [
      { field: 'order_no', label: '订单号' },
      { field: 'created', label: '下单时间', type: 'datetime' },
      { field: 'buyer_nick', label: '客户网名' },
      { field: 'remark', label: '备注' },
      {
        field: 'details_list', type: 'array',
        children: [
          { field: 'goods_no', label: '货品编码' },
          { field: 'num', label: '数量' },
          { field: 'remark', label: '明细备注' },
        ],
      },
    ];
    const got = Object.fromEntries(suggestMappings(target, source).map((s) => [s.target, [s.source, s.reason]]));
    expect(got.FBillNo![0]).toBe('order_no');
    expect(got.FDate![0]).toBe('created');
    expect(got.FCustId![0]).toBe('buyer_nick');
    expect(got.FEntity![0]).toBe('details_list');
    expect(got['FEntity.FMaterialId']![0]).toBe('details_list.goods_no');
    expect(got['FEntity.FQty']![0]).toBe('details_list.num');
    expect(got['FEntity.FQty']![1]).toBe("same label '数量'");
    expect(got['FEntity.FRemark']![0]).toBe('details_list.remark');
    expect(got.FBillNo![1]).toMatch(/synonyms/);
  });

  it('never pairs a list with a scalar', () => {
    const got = suggestMappings([{ field: 'items', type: 'array' }], [{ field: 'items', type: 'string' }]);
    expect(got).toEqual([]);
  });
});

describe('previewScheme', () => {
  const scheme = { source: seedSource, target: seedTarget, options: { batchSize: 2 } };

  it('seed dry run: records with equal call params are packed up to batchSize', async () => {
    // shop_no cycles SHOP1..SHOP4 with i % 4
    const samples = [0, 4, 8, 1, 5].map((i) => seedOrder(i));
    const res = await previewScheme(scheme, samples);
    expect(res.errors).toEqual([]);
    expect(res.calls.map((c) => [c.call.shop_no, c.recordIds])).toEqual([
      ['SHOP1', ['T100000', 'T100004']],
      ['SHOP1', ['T100008']],
      ['SHOP2', ['T100001', 'T100005']],
    ]);
    expect(res.calls[0]!.items[0]!.tid).toBe('T100000');
  });

  it('default batch size is 50; errors carry index, id and issues or message', async () => {
    const bad = seedOrder(2);
    delete (bad.order_list as Record<string, unknown>[])[0]!.goods_id;
    const noId = seedOrder(3);
    delete noId.tid;
    const res = await previewScheme({ source: seedSource, target: seedTarget }, [seedOrder(1), bad, noId, 'junk']);
    expect(res.calls).toHaveLength(1);
    expect(res.calls[0]!.recordIds).toEqual(['T100001']);
    // goods_id is required by the target (trade_push), not by the source: a mapping-time issue
    expect(res.errors).toEqual([
      { index: 1, id: 'T100002', issues: [{ path: 'order_list[0].goods_id', message: 'is required' }] },
      { index: 2, issues: [{ path: 'tid', message: 'is required' }] },
      { index: 3, issues: [{ path: '(record)', message: 'a record must be a JSON object' }] },
    ]);
  });

  it('condition, beatFlat + groupCalculate, lookups and MappingErrors', async () => {
    const source: MetadataDoc = {
      api: 'stockout', type: 'QUERY', id: 'no',
      response: [{ field: 'no', is_required: true }, { field: 'details', type: 'array' }],
      condition: [[{ field: 'status', logic: 'eq', value: 'done' }]],
      beatFlat: ['details'],
    };
    const target: MetadataDoc = {
      api: 'batchSave',
      groupCalculate: { headerGroup: ['shop_no'], bodyGroup: ['details_spec'], bodyName: 'details', targetBodyName: 'FEntity', calculate: { details_num: '$sum' } },
      request: [
        { field: 'FStockOrgId', value: '{{shop_no}}', map: 'org' },
        {
          field: 'FEntity', type: 'array', value: 'FEntity',
          children: [
            { field: 'FMaterialId', value: '_findCollection find id from goods where number={{FEntity.spec}}', is_required: true },
            { field: 'FQty', type: 'float', value: '{{FEntity.num}}' },
          ],
        },
      ],
      otherRequest: [{ field: 'FormId', value: 'STK_MisDelivery' }],
    };
    const lookup = (q: LookupQuery) => (q.where.number === 'X' ? ['M-X'] : q.where.number === 'Y' ? ['M-Y'] : []);
    const samples = [
      { no: 'A', status: 'done', shop_no: 'S1', details: [{ spec: 'X', num: '1.5' }, { spec: 'Y', num: 1 }] },
      { no: 'B', status: 'done', shop_no: 'S1', details: [{ spec: 'X', num: '2.5' }] },
      { no: 'C', status: 'draft', shop_no: 'S1', details: [{ spec: 'X', num: 1 }] },
      { no: 'D', status: 'done', shop_no: 'S9', details: [{ spec: 'X', num: 1 }] },
      { no: 'E', status: 'done', shop_no: 'S2', details: [{ spec: 'Z', num: 1 }] },
    ];
    const res = await previewScheme({ source, target, maps: { org: { name: 'org', entries: { S1: '100', S2: '200' } } } }, samples, { lookup });
    expect(res.skipped).toEqual([{ index: 2, id: 'C', reason: 'filtered out by the source condition' }]);
    expect(res.calls).toEqual([{
      call: { FormId: 'STK_MisDelivery' },
      items: [{ FStockOrgId: '100', FEntity: [{ FMaterialId: 'M-X', FQty: 4 }, { FMaterialId: 'M-Y', FQty: 1 }] }],
      recordIds: ['A-1', 'A-2', 'B-1'],
    }]);
    expect(res.errors).toEqual([
      { index: 3, id: 'D-1', message: "FStockOrgId: no entry for 'S9' in value map 'org' (expression: map org)", field: 'FStockOrgId', expression: 'map org' },
      { index: 4, id: 'E-1', issues: [{ path: 'FEntity[0].FMaterialId', message: 'is required' }] },
    ]);
  });

  it('bad metadata on either side is one ValidationError with prefixed paths', async () => {
    const err = await previewScheme({ source: { api: 's', request: [{ field: 'a', type: 'x' }] }, target: { api: 't', request: [{ field: 'b', value: '{{' }] } }, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['source.metadata.request[0].type', 'target.metadata.request[0].value']);
  });
});
