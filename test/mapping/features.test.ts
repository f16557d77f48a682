import { describe, expect, it } from 'vitest';
import { MappingError, ValidationError } from '../../src/errors.ts';
import {
  compileSource, compileTarget, groupCalculate, groupCalculateDetailed, parseValueMap, registerParser, validateValueMap,
  type MapContext, type MappedRecord, type ValueMapDef,
} from '../../src/mapping/index.ts';
import type { MetadataDoc, MetaParam, Parser } from '../../src/metadata/types.ts';

const NOW = new Date('2024-03-14T08:00:00Z'); // 16:00 in Beijing

function map(request: MetaParam[], content: Record<string, unknown> = {}, ctx: MapContext = {}, maps?: Record<string, ValueMapDef>) {
  const t = compileTarget({ api: 't', request }, { maps });
  return (t.map(content, { now: NOW, ...ctx }) as MappedRecord).item;
}

describe('variables and formatters', () => {
  it('Kingdee ExecuteBillQuery example (§3.2): paging variables, watermark with |dateTime, ArrayToString FieldKeys', () => {
    const doc: MetadataDoc = {
      api: 'ExecuteBillQuery', type: 'QUERY', method: 'POST', id: 'FNumber', number: 'FNumber', idCheck: true,
      request: [
        { type: 'string', field: 'Limit', label: '最大行数', value: '{{PAGINATION_PAGE_SIZE}}', is_required: true },
        { type: 'string', field: 'StartRow', label: '开始行索引', value: '{{PAGINATION_START_ROW}}', is_required: true },
        { type: 'int', field: 'TopRowCount', label: '返回总行数', value: '0', is_required: false },
        { type: 'string', field: 'FilterString', label: '过滤条件', value: "FApproveDate>='{{LAST_SYNC_TIME|dateTime}}'", is_required: false },
        { type: 'array', field: 'FieldKeys', label: '需查询的字段key集合', parser: { name: 'ArrayToString', params: ',' }, describe: '金蝶分录主键ID格式:FPOOrderEntry_FEntryId,其它格式 FPurchaseOrgId.FNumber', is_required: true },
        { type: 'string', field: 'FormId', label: '业务对象表单Id', value: 'BD_UNIT', is_required: true },
      ],
      // the response list doubles as the FieldKeys list
      response: [
        { type: 'string', field: 'FNumber', label: '编码', value: null },
        { type: 'string', field: 'FName', label: '名称', value: null },
        { type: 'string', field: 'FDocumentStatus', label: '数据状态', value: null },
      ],
    };
    const t = compileTarget(doc);
    const { item } = t.map({}, { now: NOW, vars: { PAGINATION_PAGE_SIZE: 500, PAGINATION_START_ROW: 1000, LAST_SYNC_TIME: 1710399600 } }) as MappedRecord;
    expect(item).toEqual({
      Limit: '500', StartRow: '1000', TopRowCount: 0,
      FilterString: "FApproveDate>='2024-03-14 15:00:00'",
      FieldKeys: 'FNumber,FName,FDocumentStatus', FormId: 'BD_UNIT',
    });
    // a missing engine variable is an error, not an empty string
    expect(() => t.map({}, { now: NOW })).toThrow(MappingError);
    expect(() => t.map({}, { now: NOW })).toThrow(/variable PAGINATION_PAGE_SIZE is not set/);
  });

  it('每刻 reimbursement source (§3.3): flat parent:null params, _autoFillResponse response rows', () => {
    const doc: MetadataDoc = {
      id: 'formCode', api: '/api/openapi/form/reimburse', type: 'QUERY', method: 'POST', number: 'formCode', idCheck: true,
      request: [
        { id: 'createdAtStart', type: 'string', field: 'createdAtStart', label: '根据单据的创建时间', value: '1651390550000', parent: null },
        { id: 'createdAtEnd', type: 'string', field: 'createdAtEnd', label: '根据单据的创建时间', value: '1652427351000', parent: null },
        { id: 'pageSize', type: 'string', field: 'pageSize', label: '分页条数', value: '100', parent: null },
        { id: 'offset', type: 'string', field: 'offset', label: '当前页首条数据在所有数据中的偏移量', value: '0', parent: null },
        { id: 'formStatus', type: 'string', field: 'formStatus', label: '单据状态', value: 'COMPLETED', parent: null },
      ],
      response: [
        { type: 'string', field: 'formDataCode', label: 'formDataCode', value: null, describe: '_autoFillResponse' },
        { type: 'string', field: 'formCode', label: 'formCode', value: null, describe: '_autoFillResponse' },
      ],
    };
    // the query params come out as configured
    expect((compileTarget(doc).map({}) as MappedRecord).item).toEqual({
      createdAtStart: '1651390550000', createdAtEnd: '1652427351000', pageSize: '100', offset: '0', formStatus: 'COMPLETED',
    });
    // polled rows are validated against response[], keyed by formCode
    const src = compileSource(doc);
    const row = { formDataCode: 'D1', formCode: 'BX001', extra: 1 };
    expect(src.validate(row)).toEqual([]);
    expect(src.idOf(row)).toBe('BX001');
    expect(src.validate({ formCode: { nested: true } })).toEqual([{ path: 'formCode', message: 'expected text, got an object' }]);
  });

  it('target-side extras such as Kingdee distributionOrg are kept out of the mapping', () => {
    const t = compileTarget({ api: 'batchSave', distributionOrg: '100016,100017,100018,100019', request: [{ field: 'FNumber', value: '{{code}}' }] });
    expect((t.map({ code: 'M1' }) as MappedRecord).item).toEqual({ FNumber: 'M1' });
  });

  it('time window with |datetime / |date / |timestamp (a/12082)', () => {
    const item = map([
      { field: 'start_time', value: '{{LAST_SYNC_TIME|datetime}}' },
      { field: 'end_time', value: '{{CURRENT_TIME|datetime}}' },
      { field: 'day', value: '{{CURRENT_TIME|date}}' },
      { field: 'ts', value: '{{CURRENT_TIME|timestamp}}' },
      { field: 'ms', value: '{{CURRENT_TIME|timestampMs}}' },
      { field: 'raw', value: '{{CURRENT_TIME}}' },
      { field: 'fmt', value: '{{CURRENT_TIME|format:%Y%m%d%H%i}}' },
      { field: 't', value: '{{CURRENT_TIME|time}}' },
    ], {}, { vars: { LAST_SYNC_TIME: '2024-03-14 15:50:00' } });
    expect(item).toEqual({
      start_time: '2024-03-14 15:50:00', end_time: '2024-03-14 16:00:00', day: '2024-03-14',
      ts: 1710403200, ms: 1710403200000, raw: 1710403200, fmt: '202403141600', t: '16:00:00',
    });
  });

  it('formatters on source fields (consign_time|date) and text formatters', () => {
    const item = map([
      { field: 'billdate', value: '{{consign_time|date}}' },
      { field: 'up', value: '{{code|trim|upper}}' },
      { field: 'j', value: '{{obj|json}}' },
      { field: 'none', value: '{{missing|date}}' },
    ], { consign_time: '2024-03-14 23:30:00', code: ' ab ', obj: { a: 1 } });
    expect(item).toEqual({ billdate: '2024-03-14', up: 'AB', j: '{"a":1}' });
  });

  it('custom variables and record fields named in capitals', () => {
    const item = map([{ field: 'a', value: '{{WAREHOUSE}}' }, { field: 'b', value: '{{ID}}' }], { ID: 7 }, { vars: { WAREHOUSE: 'WH1' } });
    expect(item).toEqual({ a: 'WH1', b: 7 });
  });
});

describe('value maps (静态映射)', () => {
  const maps: Record<string, ValueMapDef> = {
    shop_to_org: { name: 'shop_to_org', entries: { TMALL01: '101', JD01: '102' } },
    status: { name: 'status', entries: { paid: 2, unpaid: 1 }, default: 0 },
    keep: { name: 'keep', entries: { a: 'A' }, onMissing: 'keep' },
  };

  it('forward, reverse, default, keep and error on a missing key', () => {
    const req: MetaParam[] = [
      { field: 'org', value: '{{shop_no}}', map: 'shop_to_org' },
      { field: 'shop', value: '{{org}}', map: 'reverse:shop_to_org' },
      { field: 'st', type: 'int', value: '{{status}}', map: 'status' },
      { field: 'k', value: '{{k}}', map: 'keep' },
      { field: 'fixed', value: 'JD01', map: 'shop_to_org' },
    ];
    expect(map(req, { shop_no: 'TMALL01', org: '102', status: 'paid', k: 'a' }, {}, maps)).toEqual({ org: '101', shop: 'JD01', st: 2, k: 'A', fixed: '102' });
    expect(map(req, { shop_no: 'JD01', org: 101, status: 'weird', k: 'z' }, {}, maps)).toEqual({ org: '102', shop: 'TMALL01', st: 0, k: 'z', fixed: '102' });
    let err: unknown;
    try {
      map(req, { shop_no: 'PDD01' }, {}, maps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).field).toBe('org');
    expect((err as MappingError).message).toContain("no entry for 'PDD01' in value map 'shop_to_org'");
  });

  it('MAP() and MAP_REVERSE() inside _function, with an optional default', () => {
    const item = map([
      { field: 'a', value: "_function MAP('shop_to_org', {{shop_no}})" },
      { field: 'b', value: "_function MAP('shop_to_org', {{other}}, 'none')" },
      { field: 'c', value: "_function MAP_REVERSE('shop_to_org', '102')" },
      { field: 'd', value: "_function CONCAT('ORG-', MAP('shop_to_org', {{shop_no}}))" },
    ], { shop_no: 'TMALL01', other: 'X' }, {}, maps);
    expect(item).toEqual({ a: '101', b: 'none', c: 'JD01', d: 'ORG-101' });
  });

  it('map files are validated; reverse of a map with duplicate values is rejected', () => {
    expect(validateValueMap({ name: 'm', entries: { a: 1 } }, 'maps/m.json', 'm')).toEqual([]);
    expect(validateValueMap({ name: 'x', entries: [], onMissing: 'never', extra: 1 }, 'maps/m.json', 'm').map((i) => i.path)).toEqual([
      'maps/m.json.name', 'maps/m.json.entries', 'maps/m.json.onMissing', 'maps/m.json.extra',
    ]);
    expect(() => parseValueMap({ name: 'm', entries: {}, onMissing: 'default' })).toThrow(ValidationError);
    const dup = { d: { name: 'd', entries: { a: '1', b: '1' } } };
    expect(() => compileTarget({ api: 't', request: [{ field: 'x', value: '{{x}}', map: 'reverse:d' }] }, { maps: dup })).toThrow(/cannot be reversed/);
    expect(() => compileTarget({ api: 't', request: [{ field: 'x', value: '{{x}}', map: 'd' }] }, { maps: dup })).not.toThrow();
  });
});

describe('parsers', () => {
  it('built-in parsers (parser.md examples)', () => {
    const item = map([
      { field: 'FieldKeys', type: 'array', value: '{{keys}}', parser: { name: 'ArrayToString', params: ',' } },
      { field: 'pipes', type: 'array', value: '{{keys}}', parser: { name: 'ArrayToString', params: '|' } },
      { field: 'list', value: '{{csv}}', parser: { name: 'StringToArray', params: ',' } },
      { field: 'blank', value: '{{blank}}', parser: { name: 'StringToArray', params: ',' } },
      { field: 'FName', value: '{{names}}', parser: { name: 'ConvertJson' } },
      { field: 'FBillTypeID', value: '{{bill_type}}', parser: { name: 'ConvertObjectParser', params: 'FNUMBER' } },
      { field: '_widget_1432728651499', value: '{{phone}}', parser: { name: 'ConvertTwoStageObjectParser', params1: 'value', params2: 'phone' } as Parser },
      { field: 'two', value: '{{phone}}', parser: { name: 'ConvertTwoStageObjectParser', params: ['a', 'b'] } },
      { field: 'materialCustomFields', value: '{{code}}', parser: { name: 'K3WiseHeiHuCustomParser', params: '物料短代码' } },
      { field: 'wldwlx', value: '{{t}}', parser: { name: 'workflowRequestTableFields', view: true, edit: false, fieldId: '12258' } as Parser },
    ], {
      keys: ['test1', 'test2', 'test3'], csv: 'priuserdefnvc1,priuserdefnvc2', blank: '  ',
      names: { 1033: '2037', 2052: '2037' }, bill_type: 'FKDLX04_SYS', phone: '13800000000', code: '6030130021', t: 'BD_Supplier',
    });
    expect(item).toEqual({
      FieldKeys: 'test1,test2,test3',
      pipes: 'test1|test2|test3',
      list: ['priuserdefnvc1', 'priuserdefnvc2'],
      blank: [],
      FName: [{ Key: 1033, Value: '2037' }, { Key: 2052, Value: '2037' }],
      FBillTypeID: { FNUMBER: 'FKDLX04_SYS' },
      _widget_1432728651499: { value: { phone: '13800000000' } },
      two: { a: { b: '13800000000' } },
      materialCustomFields: [{ keyName: '物料短代码', keyValue: '6030130021' }],
      wldwlx: { fieldName: 'wldwlx', fieldValue: 'BD_Supplier', view: true, edit: false, fieldId: '12258' },
    });
  });

  it('runs after the value map and type coercion; ConvertJson reads JSON text', () => {
    const maps = { org: { name: 'org', entries: { S1: 101 } } };
    const item = map([
      { field: 'FOrgId', type: 'string', value: '{{shop}}', map: 'org', parser: { name: 'ConvertObjectParser', params: 'FNumber' } },
      { field: 'FName', value: '{{names}}', parser: { name: 'ConvertJson' } },
    ], { shop: 'S1', names: '{"2052":\n"名称"}' }, {}, maps);
    expect(item).toEqual({ FOrgId: { FNumber: '101' }, FName: [{ Key: 2052, Value: '名称' }] });
  });

  it('registerParser adds one; bad params and unknown parsers are compile errors', () => {
    registerParser('Upper', (v) => String(v).toUpperCase());
    expect(map([{ field: 'x', value: '{{x}}', parser: { name: 'Upper' } }], { x: 'abc' })).toEqual({ x: 'ABC' });
    expect(() => map([{ field: 'x', value: '1', parser: { name: 'ConvertObjectParser' } }])).toThrow(/params must name the inner key/);
    expect(() => map([{ field: 'x', value: '1', parser: { name: 'ConvertTwoStageObjectParser', params1: 'a' } as Parser }])).toThrow(/params1 and params2/);
    expect(() => map([{ field: 'x', value: '1', parser: { name: 'Nope' } }])).toThrow(/unknown parser 'Nope'/);
    registerParser('Explode', () => { throw new Error('bad input'); });
    expect(() => map([{ field: 'x', value: '{{x}}', parser: { name: 'Explode' } }], { x: 1 })).toThrow(MappingError);
  });
});

describe('source condition (§4.4)', () => {
  const doc = {
    io_id: '816403', status: 'completed', amount: '2000', remark: '', created_at: '2024-06-01 10:00:00',
    items: [
      { name: '活动商品A', 仓库: 'CK0001', qty: 1000 },
      { name: '磨牙棒', 仓库: 'YY002', qty: 500 },
      { name: '飞天茅台', 仓库: 'MT0003', qty: 88 },
    ],
  };
  const src = (condition: unknown) => compileSource({ api: 'purchasein.query', type: 'QUERY', id: 'io_id', condition });
  const clone = () => JSON.parse(JSON.stringify(doc));

  it('the 11 operators', () => {
    const ok = (c: Record<string, unknown>) => src([[c]]).accept(clone());
    expect(ok({ field: 'io_id', logic: 'eq', value: '816403' })).toBe(true);
    expect(ok({ field: 'io_id', logic: 'eq', value: 816403 })).toBe(true);
    expect(ok({ field: 'status', logic: 'neq', value: 'cancelled' })).toBe(true);
    expect(ok({ field: 'amount', logic: 'gt', value: 100 })).toBe(true);
    expect(ok({ field: 'amount', logic: 'egt', value: '2000' })).toBe(true);
    expect(ok({ field: 'amount', logic: 'lt', value: 500 })).toBe(false);
    expect(ok({ field: 'amount', logic: 'elt', value: '2000.00' })).toBe(true);
    expect(ok({ field: 'io_id', logic: 'like', value: '640' })).toBe(true);
    expect(ok({ field: 'io_id', logic: 'notlike', value: 'test' })).toBe(true);
    expect(ok({ field: 'amount', logic: 'between', value: '1000,50000' })).toBe(true);
    expect(ok({ field: 'amount', logic: 'between', value: [2001, 3000] })).toBe(false);
    expect(ok({ field: 'status', logic: 'notnull' })).toBe(true);
    expect(ok({ field: 'remark', logic: 'isnull' })).toBe(true);
    expect(ok({ field: 'nothing', logic: 'isnull' })).toBe(true);
    expect(ok({ field: 'status', logic: 'in', value: 'completed,paid' })).toBe(true);
  });

  it('timestamp: values compare as times (example 2)', () => {
    const s = src([[
      { field: 'created_at', logic: 'gt', value: 'timestamp:1704067200' },
      { field: 'created_at', logic: 'lt', value: 'timestamp:1735689600' },
      { field: 'status', logic: 'eq', value: 'completed' },
    ]]);
    expect(s.accept(clone())).toBe(true);
    expect(s.accept({ ...clone(), created_at: '2023-12-31 23:59:59' })).toBe(false);
    expect(s.accept({ ...clone(), created_at: 1717207200 })).toBe(true);
  });

  it('OR of AND groups (example 3)', () => {
    const s = src([[{ field: 'amount', logic: 'between', value: '1000,50000' }], [{ field: 'remark', logic: 'notnull' }]]);
    expect(s.accept(clone())).toBe(true);
    expect(s.accept({ ...clone(), amount: '10' })).toBe(false);
    expect(s.accept({ ...clone(), amount: '10', remark: 'x' })).toBe(true);
  });

  it('sub-table conditions: strictMode drops the document, non-strict drops failing lines', () => {
    const strict = src([[{ field: 'items.仓库', logic: 'like', value: 'MT', strictMode: true }]]);
    expect(strict.accept(clone())).toBe(false);
    const loose = src([[{ field: 'items.仓库', logic: 'like', value: 'MT' }]]);
    const d = clone();
    expect(loose.accept(d)).toBe(true);
    expect(d.items).toEqual([{ name: '飞天茅台', 仓库: 'MT0003', qty: 88 }]);
    // filter() leaves the input alone
    const d2 = clone();
    expect(loose.filter(d2)!.items).toHaveLength(1);
    expect(d2.items).toHaveLength(3);
    // no line passes → the document is dropped
    expect(loose.accept({ ...clone(), items: [{ 仓库: 'CK' }] })).toBe(false);
  });

  it('example 1: (io_id = 816403 AND items.name like 活动 [strict]) OR io_id like 512 OR items.name = …', () => {
    const s = src([
      [{ field: 'io_id', logic: 'eq', value: '816403' }, { field: 'items.name', logic: 'like', value: '活动', strictMode: true }],
      [{ field: 'io_id', logic: 'like', value: '512' }],
      [{ field: 'items.name', logic: 'eq', value: '企鹅爸爸15合1桌游' }],
    ]);
    expect(s.accept(clone())).toBe(false); // strict group fails; others do not match
    const d = { io_id: '1', items: [{ name: '企鹅爸爸15合1桌游' }, { name: 'x' }] };
    expect(s.accept(d)).toBe(true);
    expect(d.items).toEqual([{ name: '企鹅爸爸15合1桌游' }]);
    const e = { io_id: '5120', items: [{ name: 'x' }, { name: 'y' }] };
    expect(s.accept(e)).toBe(true);
    expect(e.items).toHaveLength(2); // the passing group has no line condition: all lines stay
  });

  it('nested object paths and a flat list as one AND group', () => {
    const s = src([{ field: 'content.billdate', logic: 'eq', value: '2024-01-01' }]);
    expect(s.accept({ content: { billdate: '2024-01-01' } })).toBe(true);
    expect(s.accept({ content: { billdate: '2024-01-02' } })).toBe(false);
  });

  it('bad conditions are compile errors with paths', () => {
    let err: unknown;
    try {
      src([[{ field: 'a', logic: 'approx', value: 1 }, { logic: 'eq', value: 1 }, { field: 'b', logic: 'gt' }, { field: 'c', logic: 'between', value: '1' }]]);
    } catch (e) {
      err = e;
    }
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
      'condition[0][0].logic', 'condition[0][1].field', 'condition[0][2].value', 'condition[0][3].value',
    ]);
  });
});

describe('groupCalculate (§3.4, a/815)', () => {
  const spec = {
    headerGroup: ['shop_no', 'stock_no'], bodyGroup: ['details_spec'], bodyName: 'details', targetBodyName: 'FEntity',
    bodyMaxLine: 2, calculate: { details_num: '$sum', details_amount: '$sum' },
  };
  const rows = [
    { shop_no: 'S1', stock_no: 'W1', bill: 'A', details_spec: 'X', details_num: 1, details_amount: '0.10' },
    { shop_no: 'S1', stock_no: 'W1', bill: 'B', details_spec: 'X', details_num: 2, details_amount: '0.20' },
    { shop_no: 'S1', stock_no: 'W1', bill: 'C', details_spec: 'Y', details_num: 5, details_amount: '1.00' },
    { shop_no: 'S2', stock_no: 'W1', bill: 'D', details_spec: 'X', details_num: 1, details_amount: '9.99' },
    { shop_no: 'S1', stock_no: 'W1', bill: 'E', details_spec: 'Z', details_num: 1, details_amount: '2' },
  ];

  it('groups headers, merges lines by bodyGroup with exact $sum, splits at bodyMaxLine', () => {
    const out = groupCalculateDetailed(rows, spec);
    expect(out).toEqual([
      { doc: { shop_no: 'S1', stock_no: 'W1', bill: 'A', FEntity: [{ spec: 'X', num: 3, amount: '0.30' }, { spec: 'Y', num: 5, amount: '1.00' }] }, rows: [0, 1, 2] },
      { doc: { shop_no: 'S1', stock_no: 'W1', bill: 'A', FEntity: [{ spec: 'Z', num: 1, amount: '2' }] }, rows: [4] },
      { doc: { shop_no: 'S2', stock_no: 'W1', bill: 'D', FEntity: [{ spec: 'X', num: 1, amount: '9.99' }] }, rows: [3] },
    ]);
  });

  it('header-level aggregates and other operators; no body', () => {
    const out = groupCalculate(rows, { headerGroup: ['stock_no'], calculate: { details_amount: '$sum', bill: '$push', details_num: '$max', details_spec: '$addToSet' } });
    expect(out).toEqual([{ shop_no: 'S1', stock_no: 'W1', bill: ['A', 'B', 'C', 'D', 'E'], details_spec: ['X', 'Y', 'Z'], details_num: 5, details_amount: '13.29' }]);
    expect(groupCalculate(rows, { headerGroup: ['shop_no'], calculate: { details_num: '$avg' } }).map((d) => d.details_num)).toEqual([2.25, 1]);
    expect(groupCalculate(rows, { headerGroup: ['shop_no'], calculate: { bill: '$count' } }).map((d) => d.bill)).toEqual([4, 1]);
  });

  it('works on beatFlat rows', () => {
    const src = compileSource({ api: 'x', id: 'no', beatFlat: ['details'] });
    const flat = [
      ...src.flatten({ no: 'O1', shop_no: 'S1', details: [{ spec: 'X', num: 1 }, { spec: 'Y', num: 2 }] }),
      ...src.flatten({ no: 'O2', shop_no: 'S1', details: [{ spec: 'X', num: 4 }] }),
    ];
    const out = groupCalculate(flat, { headerGroup: ['shop_no'], bodyGroup: ['details_spec'], bodyName: 'details', calculate: { details_num: '$sum' } });
    expect(out).toHaveLength(1);
    expect(out[0]!.details).toEqual([{ spec: 'X', num: 5 }, { spec: 'Y', num: 2 }]);
  });

  it('rejects a bad spec', () => {
    expect(() => groupCalculate(rows, { headerGroup: 'shop_no', bodyMaxLine: 0, calculate: { a: '$median' } })).toThrow(ValidationError);
    expect(() => groupCalculate([{ n: 'abc' }], { calculate: { n: '$sum' } })).toThrow(MappingError);
  });
});
