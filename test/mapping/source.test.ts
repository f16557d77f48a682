import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { compileSource, compileTarget, FLAT_LINE, FLAT_SOURCE_ID, normaliseParams, type MappedRecord } from '../../src/mapping/index.ts';
import type { MetadataDoc } from '../../src/metadata/types.ts';
import { seedOrder, seedSource } from './fixtures/seed.ts';

describe('source validate()', () => {
  const src = compileSource(seedSource);

  it('accepts a seed order', () => {
    expect(src.validate(seedOrder(3))).toEqual([]);
  });

  it('reports every problem with a data path', () => {
    const o = seedOrder(3);
    delete o.tid;
    o.trade_time = 'yesterday';
    o.receiver_name = { first: 'x' };
    o.order_list = [(o.order_list as unknown[])[0], { num: '1' }, 'junk'];
    const issues = src.validate(o);
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'tid', message: 'is required' },
      { path: 'trade_time', message: 'expected a date-time, got "yesterday"' },
      { path: 'receiver_name', message: 'expected text, got an object' },
      { path: 'order_list[1].oid', message: 'is required' },
      { path: 'order_list[2]', message: 'expected an object' },
    ]));
    expect(issues).toHaveLength(5);
  });

  it('types: int, float, datetime, array, nested object; undeclared fields are accepted', () => {
    const s = compileSource({
      api: 'push',
      request: [
        { field: 'n', type: 'int' },
        { field: 'f', type: 'float' },
        { field: 'd', type: '短日期' },
        { field: 'list', type: 'array', is_required: true },
        { field: 'o', type: 'object', children: [{ field: 'k', type: 'int', is_required: true }] },
      ],
    });
    expect(s.validate({ n: '3', f: '1.25', d: '2024-01-01', list: [1], o: { k: 1 }, extra: true })).toEqual([]);
    expect(s.validate({ n: 1.5, f: 'x', d: '2024-13-01', list: [], o: {} })).toEqual([
      { path: 'n', message: 'expected an integer, got 1.5' },
      { path: 'f', message: 'expected a number, got "x"' },
      { path: 'd', message: 'expected a date, got "2024-13-01"' },
      { path: 'list', message: 'is required (empty list)' },
      { path: 'o.k', message: 'is required' },
    ]);
    expect(s.validate([1])).toEqual([{ path: '(record)', message: 'a record must be a JSON object' }]);
  });

  it('a QUERY source validates its rows against response[]', () => {
    const s = compileSource({
      api: 'q', type: 'QUERY', id: 'FNumber',
      request: [{ field: 'Limit', value: '{{PAGINATION_PAGE_SIZE}}', is_required: true }],
      response: [{ field: 'FNumber', type: 'string', is_required: true }],
    });
    expect(s.validate({ FNumber: 'A' })).toEqual([]);
    expect(s.validate({})).toEqual([{ path: 'FNumber', message: 'is required' }]);
  });

  it('idOf / numberOf follow metadata.id and metadata.number', () => {
    expect(src.idOf(seedOrder(5))).toBe('T100005');
    expect(src.numberOf(seedOrder(5))).toBe('T100005');
    expect(src.idOf({})).toBeUndefined();
    const nested = compileSource({ api: 'x', id: 'head.no', number: 'code' });
    expect(nested.idOf({ head: { no: 12 } })).toBe('12');
    expect(nested.numberOf({ code: 'C' })).toBe('C');
  });

  it('rejects bad metadata at compile time', () => {
    let err: unknown;
    try {
      compileSource({ api: 'x', request: [{ field: 'a', type: 'nope' }, { field: '' }] }, { basePath: 'source.metadata' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['source.metadata.request[1].field', 'source.metadata.request[0].type']);
  });
});

describe('normaliseParams', () => {
  it('flat parent form and dotted names become a children tree', () => {
    const tree = normaliseParams([
      { field: 'a', id: 'a' },
      { field: 'list', id: 'L1', type: 'array' },
      { field: 'x', parent: 'L1' },
      { field: 'list.y' },
      { field: 'b', parent: null },
    ]);
    expect(tree).toEqual([
      { field: 'a', id: 'a' },
      { field: 'list', id: 'L1', type: 'array', children: [{ field: 'x' }, { field: 'list.y' }] },
      { field: 'b' },
    ]);
  });

  it('does not modify its input', () => {
    const input = [{ field: 'l', type: 'array' }, { field: 'l.x' }];
    const copy = JSON.parse(JSON.stringify(input));
    normaliseParams(input);
    expect(input).toEqual(copy);
  });
});

describe('beatFlat', () => {
  const content = {
    no: 'OUT20210001', customer: 'CK0001', date: '2021-11-11',
    details_list: [{ goods: 'FOO0001', num: 12 }, { goods: 'FOO0002', num: 50 }],
  };

  it('reference example: one row per line, prefixed keys, id suffixed -n', () => {
    const s = compileSource({ api: 'x', id: 'no', otherRequest: [{ field: 'beatFlat', value: ['details_list'] }] });
    expect(s.flatten(content)).toEqual([
      { no: 'OUT20210001-1', customer: 'CK0001', date: '2021-11-11', details_list_goods: 'FOO0001', details_list_num: 12, [FLAT_SOURCE_ID]: 'OUT20210001', [FLAT_LINE]: 1 },
      { no: 'OUT20210001-2', customer: 'CK0001', date: '2021-11-11', details_list_goods: 'FOO0002', details_list_num: 50, [FLAT_SOURCE_ID]: 'OUT20210001', [FLAT_LINE]: 2 },
    ]);
    expect(s.idOf(s.flatten(content)[1]!)).toBe('OUT20210001-2');
  });

  it('accepts the {"beatFlat": [...]} object form and top-level beatFlat; identity when absent', () => {
    const a = compileSource({ api: 'x', id: 'no', otherRequest: [{ beatFlat: ['details_list'] } as never] });
    const b = compileSource({ api: 'x', id: 'no', beatFlat: 'details_list' });
    expect(a.flatten(content)).toHaveLength(2);
    expect(b.flatten(content)).toHaveLength(2);
    const none = compileSource({ api: 'x', id: 'no' });
    expect(none.flatten(content)).toEqual([content]);
  });

  it('several arrays: lines numbered across them; a record without lines is kept whole', () => {
    const s = compileSource({ api: 'x', id: 'no', beatFlat: ['a', 'b'] });
    const rows = s.flatten({ no: 'N', a: [{ x: 1 }], b: [{ y: 2 }, { y: 3 }] });
    expect(rows.map((r) => r.no)).toEqual(['N-1', 'N-2', 'N-3']);
    expect(rows[1]).toMatchObject({ b_y: 2 });
    expect(s.flatten({ no: 'N', a: [], b: [] })).toEqual([{ no: 'N' }]);
  });

  it('the beatFlat setting is not a call param when the source document is compiled for its query params', () => {
    const doc = { api: 'x', type: 'QUERY', id: 'no', otherRequest: [{ field: 'FormId', value: 'SAL' }, { beatFlat: ['details_list'] } as never] };
    expect((compileTarget(doc).map({}) as MappedRecord).call).toEqual({ FormId: 'SAL' });
    const objectForm = { api: 'x', otherRequest: { FormId: 'SAL', beatFlat: ['details_list'] } as never };
    expect((compileTarget(objectForm).map({}) as MappedRecord).call).toEqual({ FormId: 'SAL' });
    expect(compileSource(objectForm).beatFlat).toEqual(['details_list']);
  });

  it('rejects a bad beatFlat', () => {
    expect(() => compileSource({ api: 'x', beatFlat: [1] } as MetadataDoc)).toThrow(ValidationError);
  });
});
