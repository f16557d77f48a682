import { describe, expect, it } from 'vitest';
import { MappingError, ValidationError } from '../../src/errors.ts';
import { compileTarget, type MappedRecord } from '../../src/mapping/index.ts';
import type { MetadataDoc, MetaParam } from '../../src/metadata/types.ts';
import { seedOrder, seedSource, seedTarget } from './fixtures/seed.ts';

const doc = (request: MetaParam[], otherRequest: MetaParam[] = []): MetadataDoc => ({ api: 't', request, otherRequest });
const mapSync = (d: MetadataDoc, content: Record<string, unknown>, ctx = {}) => compileTarget(d).map(content, ctx) as MappedRecord;

function validationIssues(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('seed scheme: OpenCallback → WDT trade_push', () => {
  const target = compileTarget(seedTarget, { source: seedSource });

  it('is synchronous and compiles without warnings', () => {
    expect(target.async).toBe(false);
    expect(target.warnings).toEqual([]);
  });

  it('autofills same-named fields, maps the others, keeps the line table and sets the call-level shop_no', () => {
    const order = seedOrder(7);
    const { item, call } = target.map(order) as MappedRecord;
    expect(call).toEqual({ shop_no: 'SHOP4' });
    expect(item.tid).toBe('T100007');
    expect(item.trade_time).toBe(order.trade_time);
    expect(item.receiver_address).toBe(order.receiver_address);
    expect(item.paid).toBe(order.paid);
    // fields the source does not have are left out, not sent empty
    expect('purchase_id' in item).toBe(false);
    expect('buyer_email' in item).toBe(false);
    const lines = item.order_list as Record<string, unknown>[];
    const src = order.order_list as Record<string, unknown>[];
    expect(lines).toHaveLength(src.length);
    lines.forEach((l, i) => {
      expect(l.oid).toBe(src[i]!.oid);
      expect(l.adjust_amount).toBe(src[i]!.adjust_amount);
      expect(l.goods_name).toBe(src[i]!.goods_name);
      expect('trade_list' in l).toBe(false);
    });
    expect(Object.keys(item)).not.toContain('shop_no');
  });

  it('reports every missing required field with its path', () => {
    const order = seedOrder(1);
    delete order.tid;
    const lines = order.order_list as Record<string, unknown>[];
    delete lines[0]!.goods_id;
    const issues = validationIssues(() => target.map(order));
    expect(issues).toContainEqual({ path: 'tid', message: 'is required' });
    expect(issues).toContainEqual({ path: 'order_list[0].goods_id', message: 'is required' });
  });
});

describe('values', () => {
  it('fixed values, coerced to the declared type at compile time', () => {
    const { item } = mapSync(doc([
      { field: 'a', value: 'x' },
      { field: 'n', type: 'int', value: '42' },
      { field: 'f', type: 'float', value: '0.10' },
      { field: 'b', type: 'boolean', value: 'true' },
      { field: 'o', type: 'object', value: { k: 1 } },
      { field: 'num', value: 3 },
    ]), {});
    expect(item).toEqual({ a: 'x', n: 42, f: 0.1, b: true, o: { k: 1 }, num: 3 });
  });

  it('fixed objects are copied per record', () => {
    const t = compileTarget(doc([{ field: 'o', type: 'object', value: { k: [1] } }]));
    const a = (t.map({}) as MappedRecord).item.o as { k: number[] };
    a.k.push(2);
    expect((t.map({}) as MappedRecord).item.o).toEqual({ k: [1] });
  });

  it('{{field}}, {{a.b}} and a lone template keep the value type', () => {
    const { item } = mapSync(doc([
      { field: 'x', value: '{{tid}}' },
      { field: 'y', value: '{{buyer.name}}' },
      { field: 'n', value: '{{count}}' },
      { field: 'obj', value: '{{buyer}}' },
      { field: 'sp', value: '{{ tid }}' },
    ]), { tid: 'T1', count: 3, buyer: { name: '张三' } });
    expect(item).toEqual({ x: 'T1', y: '张三', n: 3, obj: { name: '张三' }, sp: 'T1' });
  });

  it('mixed text', () => {
    const { item } = mapSync(doc([
      { field: 'memo', value: '备注: {{buyer_message}}' },
      { field: 'two', value: '{{a}}-{{b}}' },
      { field: 'missing', value: '[{{nope}}]' },
      { field: 'num', value: 'n={{n}}' },
    ]), { buyer_message: '尽快发货', a: 'A', b: 2, n: 0.5 });
    expect(item).toEqual({ memo: '备注: 尽快发货', two: 'A-2', missing: '[]', num: 'n=0.5' });
  });

  it('{{array.sub}} at record level gives the list of values', () => {
    const { item } = mapSync(doc([{ field: 'oids', value: '{{order_list.oid}}' }]), { order_list: [{ oid: 'a' }, { oid: 'b' }] });
    expect(item.oids).toEqual(['a', 'b']);
  });

  it('missing values leave the key out; empty value and null mean "not set"', () => {
    const { item } = mapSync(doc([
      { field: 'a', value: '{{nope}}' },
      { field: 'b', value: '' },
      { field: 'c', value: null },
      { field: 'd' },
    ]), {});
    expect(item).toEqual({});
  });

  it('is_required: undefined, null, empty string and empty list are missing', () => {
    const issues = validationIssues(() => mapSync(doc([
      { field: 'a', value: '{{a}}', is_required: true },
      { field: 'b', value: '{{b}}', is_required: true },
      { field: 'c', value: '{{c}}', is_required: true },
      { field: 'd', type: 'array', value: '{{d}}', is_required: true },
      { field: 'ok', value: '{{ok}}', is_required: true },
    ]), { b: null, c: '', d: [], ok: 0 }));
    expect(issues.map((i) => i.path)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('dotted target names without a declared parent build nested objects', () => {
    const { item } = mapSync(doc([
      { field: 'receiver.name', value: '{{receiver_name}}' },
      { field: 'receiver.mobile', value: '{{receiver_mobile}}' },
    ]), { receiver_name: '张三', receiver_mobile: '138' });
    expect(item).toEqual({ receiver: { name: '张三', mobile: '138' } });
  });
});

describe('autofill (_autoFillResponse)', () => {
  it('fills from the same-named source field, inside the element for children', () => {
    const { item } = mapSync(doc([
      { field: 'tid', describe: '_autoFillResponse' },
      {
        field: 'order_list', type: 'array', describe: '_autoFillResponse',
        children: [
          { field: 'order_list.oid', describe: '_autoFillResponse' },
          { field: 'num', type: 'int', describe: '_autoFillResponse' },
          // the record has a tid, the line does not: autofill reads the line only
          { field: 'tid', describe: '_autoFillResponse' },
        ],
      },
    ]), { tid: 'T1', order_list: [{ oid: 'o1', num: '2' }, { oid: 'o2', num: 3 }] });
    expect(item).toEqual({ tid: 'T1', order_list: [{ oid: 'o1', num: 2 }, { oid: 'o2', num: 3 }] });
  });

  it('an explicit value wins over the autofill marker', () => {
    const { item } = mapSync(doc([{ field: 'tid', describe: '_autoFillResponse', value: 'X-{{tid}}' }]), { tid: 'T1' });
    expect(item.tid).toBe('X-T1');
  });
});

describe('arrays and objects', () => {
  const content = {
    tid: 'T1', shop_no: 'S1',
    details_list: [
      { goods_no: 'G1', qty: '2', spec: { code: 'a' }, batches: [{ no: 'B1' }, { no: 'B2' }] },
      { goods_no: 'G2', qty: '1', spec: { code: 'b' }, batches: [] },
    ],
  };

  it('QEasy form: array value names the source table without braces, children as arrayKey.sub', () => {
    const { item } = mapSync(doc([
      {
        field: 'RDRecordDetails', type: 'array', value: 'details_list',
        children: [
          { field: 'RDRecordDetails.Inventory', value: '{{details_list.goods_no}}' },
          { field: 'Quantity', type: 'float', value: '{{details_list.qty}}' },
          { field: 'Shop', value: '{{shop_no}}' }, // unprefixed: the line does not have it → the record
          { field: 'Code', value: '{{details_list.spec.code}}' },
          { field: 'Bill', value: '{{tid}}-{{goods_no}}' },
        ],
      },
    ]), content);
    expect(item.RDRecordDetails).toEqual([
      { Inventory: 'G1', Quantity: 2, Shop: 'S1', Code: 'a', Bill: 'T1-G1' },
      { Inventory: 'G2', Quantity: 1, Shop: 'S1', Code: 'b', Bill: 'T1-G2' },
    ]);
  });

  it('flat parent form and {{braces}} on the array value', () => {
    const { item } = mapSync(doc([
      { field: 'lines', type: 'array', value: '{{details_list}}', id: 'lines' },
      { field: 'no', value: '{{details_list.goods_no}}', parent: 'lines' },
    ]), content);
    expect(item.lines).toEqual([{ no: 'G1' }, { no: 'G2' }]);
  });

  it('nested arrays', () => {
    const { item } = mapSync(doc([
      {
        field: 'lines', type: 'array', value: 'details_list',
        children: [
          { field: 'no', value: '{{details_list.goods_no}}' },
          {
            field: 'batches', type: 'array', value: 'batches',
            children: [
              { field: 'batch', value: '{{batches.no}}' },
              { field: 'goods', value: '{{details_list.goods_no}}' },
              { field: 'full', value: '{{details_list.batches.no}}' },
            ],
          },
        ],
      },
    ]), content);
    expect(item.lines).toEqual([
      { no: 'G1', batches: [{ batch: 'B1', goods: 'G1', full: 'B1' }, { batch: 'B2', goods: 'G1', full: 'B2' }] },
      { no: 'G2', batches: [] },
    ]);
  });

  it('issue paths carry the line index', () => {
    const issues = validationIssues(() => mapSync(doc([
      {
        field: 'lines', type: 'array', value: 'details_list',
        children: [{ field: 'qty', type: 'int', value: '{{details_list.qty}}' }, { field: 'x', value: '{{x}}', is_required: true }],
      },
    ]), { details_list: [{ qty: '1', x: 'a' }, { qty: '1.5', x: 'b' }, { qty: '2' }] }));
    expect(issues).toEqual([
      { path: 'lines[1].qty', message: 'expected an integer, got "1.5"' },
      { path: 'lines[2].x', message: 'is required' },
    ]);
  });

  it('$root. reads the record from inside a line', () => {
    const { item } = mapSync(doc([
      { field: 'lines', type: 'array', value: 'details_list', children: [{ field: 't', value: '{{$root.tid}}' }] },
    ]), { tid: 'T1', details_list: [{ tid: 'line-tid' }] });
    expect(item.lines).toEqual([{ t: 'T1' }]);
  });

  it('a single object where a list is expected becomes a one-line list; missing list is left out', () => {
    const d = doc([{ field: 'lines', type: 'array', value: 'd', children: [{ field: 'a', value: '{{d.a}}' }] }]);
    expect(mapSync(d, { d: { a: 1 } }).item).toEqual({ lines: [{ a: 1 }] });
    expect(mapSync(d, {}).item).toEqual({});
    expect(validationIssues(() => mapSync(d, { d: 'x' }))).toEqual([{ path: 'lines', message: 'expected a list, got "x"' }]);
  });

  it('an array without a source builds one line from the record', () => {
    const { item } = mapSync(doc([
      { field: 'FEntity', type: 'array', children: [{ field: 'FMaterialId', value: '{{goods_no}}' }, { field: 'FQty', type: 'int', value: '1' }] },
    ]), { goods_no: 'G1' });
    expect(item.FEntity).toEqual([{ FMaterialId: 'G1', FQty: 1 }]);
  });

  it('nested objects (子表对象): from a source object or built from the record', () => {
    const { item } = mapSync(doc([
      { field: 'receiver', type: '子表对象', value: 'addr', children: [{ field: 'city', value: '{{addr.city}}' }, { field: 'name', value: '{{name}}' }] },
      { field: 'buyer', type: 'object', children: [{ field: 'nick', value: '{{nick}}' }] },
      { field: 'empty', type: 'object', children: [{ field: 'x', value: '{{nope}}' }] },
    ]), { addr: { city: '杭州' }, name: '张三', nick: 'n1' });
    expect(item).toEqual({ receiver: { city: '杭州', name: '张三' }, buyer: { nick: 'n1' } });
  });
});

describe('compile-time validation', () => {
  it('rejects bad metadata listing every problem with a JSON path', () => {
    const bad = doc([
      { field: 'a', type: 'strng' },
      { field: 'b', value: '{{unclosed' },
      { field: 'c', value: 'x}}' },
      { field: 'd', parser: { name: 'NoSuchParser' } },
      { field: 'e', map: 'no_such_map' },
      { field: 'f', type: 'int', value: 'abc' },
      { field: 'g', value: '{{x|nosuchfmt}}' },
      { field: 'a', value: 'dup' },
    ]);
    let err: unknown;
    try {
      compileTarget(bad, { basePath: 'schemes/s1.json: target.metadata' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual([
      'schemes/s1.json: target.metadata.request[0].type',
      'schemes/s1.json: target.metadata.request[1].value',
      'schemes/s1.json: target.metadata.request[2].value',
      'schemes/s1.json: target.metadata.request[3].parser.name',
      'schemes/s1.json: target.metadata.request[4].map',
      'schemes/s1.json: target.metadata.request[5].value',
      'schemes/s1.json: target.metadata.request[6].value',
      'schemes/s1.json: target.metadata.request[7].field',
    ]);
  });

  it('warns about references the source metadata does not declare', () => {
    const t = compileTarget(doc([{ field: 'a', value: '{{tid}}' }, { field: 'b', value: '{{no_such}}' }]), { source: seedSource });
    expect(t.warnings).toEqual([{ path: 'request[1].value', message: "source metadata does not declare 'no_such'" }]);
  });

  it('rejects a record that is not an object', () => {
    expect(() => compileTarget(doc([])).map(null as never)).toThrow(ValidationError);
  });
});

describe('type coercion', () => {
  const one = (type: string, v: unknown) => mapSync(doc([{ field: 'x', type, value: '{{v}}' }]), { v }).item.x;

  it('string', () => {
    expect(one('string', 12.5)).toBe('12.5');
    expect(one('string', true)).toBe('true');
    expect(one('string', { a: 1 })).toBe('{"a":1}');
  });
  it('int', () => {
    expect(one('int', '12')).toBe(12);
    expect(one('int', '12.00')).toBe(12);
    expect(one('int', ' 7 ')).toBe(7);
    expect(one('int', '12345678901234567890')).toBe('12345678901234567890');
    expect(() => one('int', '1.5')).toThrow(ValidationError);
    expect(() => one('int', 'abc')).toThrow(ValidationError);
  });
  it('float keeps decimals exact', () => {
    expect(one('float', '12.30')).toBe(12.3);
    expect(one('float', '0.1')).toBe(0.1);
    expect(one('float', '12345678901234567.89')).toBe('12345678901234567.89');
    expect(one('number', '-3')).toBe(-3);
    expect(() => one('float', '1,5')).toThrow(ValidationError);
  });
  it('boolean', () => {
    expect(one('boolean', '1')).toBe(true);
    expect(one('boolean', '否')).toBe(false);
    expect(one('boolean', 0)).toBe(false);
    expect(() => one('boolean', 'maybe')).toThrow(ValidationError);
  });
  it('datetime types in Asia/Shanghai', () => {
    expect(one('datetime', '2024-03-14 16:00:00')).toBe('2024-03-14 16:00:00');
    expect(one('datetime', 1710403200)).toBe('2024-03-14 16:00:00');
    expect(one('长日期时间', 1710403200000)).toBe('2024-03-14 16:00:00');
    expect(one('datetime', '2024-03-14T08:00:00Z')).toBe('2024-03-14 16:00:00');
    expect(one('datetime', '2024/3/4 5:06')).toBe('2024-03-04 05:06:00');
    expect(one('短日期', '2024-03-14 23:59:59')).toBe('2024-03-14');
    expect(one('date', 1710403200)).toBe('2024-03-14');
    expect(one('时间戳秒', '2024-03-14 16:00:00')).toBe(1710403200);
    expect(one('timestamp', '2024-03-14 16:00:00')).toBe(1710403200);
    expect(one('时间戳毫秒', '2024-03-14 16:00:00')).toBe(1710403200000);
    expect(one('datetime', '0000-00-00 00:00:00')).toBeUndefined();
    expect(() => one('datetime', '2024-02-30')).toThrow(ValidationError);
  });
  it('respects ctx.tz', () => {
    const t = compileTarget(doc([{ field: 'x', type: 'datetime', value: '{{v}}' }]));
    expect((t.map({ v: 1710403200 }, { tz: 'UTC' }) as MappedRecord).item.x).toBe('2024-03-14 08:00:00');
  });
  it('object and array', () => {
    expect(one('object', '{"a":1}')).toEqual({ a: 1 });
    expect(one('array', '[1,2]')).toEqual([1, 2]);
    expect(() => one('array', 'x')).toThrow(ValidationError);
    expect(() => one('object', [1])).toThrow(ValidationError);
  });
});

describe('errors are loud', () => {
  it('a failing formatter throws MappingError naming field and expression', () => {
    const t = compileTarget(doc([{ field: 'day', value: '{{consign_time|date}}' }]));
    expect((t.map({ consign_time: '2024-03-14 16:00:00' }) as MappedRecord).item.day).toBe('2024-03-14');
    let err: unknown;
    try {
      t.map({ consign_time: 'not a date' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).field).toBe('day');
    expect((err as MappingError).expression).toBe('{{consign_time|date}}');
    expect((err as MappingError).message).toContain('is not a date');
  });
});

describe('lint against beatFlat sources', () => {
  it('flattened line fields (<array>_<field>) count as declared', () => {
    const source: MetadataDoc = {
      api: 's', type: 'QUERY', id: 'no', beatFlat: ['details'],
      response: [{ field: 'no' }, { field: 'details', type: 'array', children: [{ field: 'details.goods' }] }],
    };
    const t = compileTarget(doc([{ field: 'g', value: '{{details_goods}}' }, { field: 'x', value: '{{details_nope}}' }]), { source });
    expect(t.warnings.map((w) => w.path)).toEqual(['request[1].value']);
  });
});
