import { describe, expect, it } from 'vitest';
import { MappingError, ValidationError } from '../../src/errors.ts';
import { compileTarget, registerFunction, type MapContext, type MappedRecord } from '../../src/mapping/index.ts';
import type { MetaParam } from '../../src/metadata/types.ts';

const NOW = new Date('2024-03-14T08:00:00Z'); // 2024-03-14 16:00:00 in Asia/Shanghai

function fn(expr: string, content: Record<string, unknown> = {}, ctx: MapContext = {}, type?: string): unknown {
  const p: MetaParam = { field: 'x', value: `_function ${expr}` };
  if (type) p.type = type;
  const t = compileTarget({ api: 't', request: [p] });
  return (t.map(content, { now: NOW, ...ctx }) as MappedRecord).item.x;
}

function compileIssues(expr: string): string[] {
  try {
    compileTarget({ api: 't', request: [{ field: 'x', value: `_function ${expr}` }] });
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues.map((i) => i.message);
  }
  throw new Error('expected a ValidationError');
}

function runtimeError(expr: string, content: Record<string, unknown> = {}): MappingError {
  try {
    fn(expr, content);
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
    return e as MappingError;
  }
  throw new Error('expected a MappingError');
}

describe('reference examples (QEasy §3–§5 and the custom-function docs)', () => {
  const kuaidi = "case when '{{kuaidi100Data.state}}' in ('301','302','303','304','3','501') then '70' else '{{trade_status}}' end";

  it('kuaidi100 state → trade_status (solution-strategy 842a0727)', () => {
    expect(fn(kuaidi, { kuaidi100Data: { state: '301' }, trade_status: '30' })).toBe('70');
    expect(fn(kuaidi, { kuaidi100Data: { state: '3' }, trade_status: '30' })).toBe('70');
    expect(fn(kuaidi, { kuaidi100Data: { state: '0' }, trade_status: '30' })).toBe('30');
    expect(fn(kuaidi, { trade_status: '30' })).toBe('30');
  });

  it('tax rate × 100 on a line field', () => {
    const t = compileTarget({
      api: 't',
      request: [{ field: 'FEntity', type: 'array', value: 'details_list', children: [{ field: 'FTaxRate', value: '_function {{details_list.tax}} * 100' }] }],
    });
    expect((t.map({ details_list: [{ tax: '0.13' }, { tax: 0.06 }] }) as MappedRecord).item.FEntity).toEqual([{ FTaxRate: 13 }, { FTaxRate: 6 }]);
  });

  it('FROM_UNIXTIME, amount × qty, LAST_SYNC_TIME − 600', () => {
    expect(fn('FROM_UNIXTIME({{time}})', { time: 1710403200 })).toBe('2024-03-14 16:00:00');
    expect(fn('{{amount}} * {{qty}}', { amount: '1000', qty: 10 })).toBe(10000);
    expect(fn("FROM_UNIXTIME({{LAST_SYNC_TIME}} - 600, '%Y-%m-%d %H:%i:%s')", {}, { vars: { LAST_SYNC_TIME: 1710403200 } })).toBe('2024-03-14 15:50:00');
  });

  it('simple CASE on an org id', () => {
    const e = "CASE '{{FOrgId}}' WHEN '100' THEN {{price}} * {{qty}} WHEN '200' THEN '201' ELSE '{{FOrgId}}' END";
    expect(fn(e, { FOrgId: '100', price: '9.90', qty: 3 })).toBe(29.7);
    expect(fn(e, { FOrgId: '200' })).toBe('201');
    expect(fn(e, { FOrgId: '300' })).toBe('300');
  });

  it('CASE LEFT(单据编号, 2) with Chinese field names', () => {
    const e = "CASE LEFT('{{单据编号}}', 2) WHEN 'AD' THEN 100 WHEN 'BB' THEN 101 WHEN 'GG' THEN 102 ELSE 103 END";
    expect(fn(e, { 单据编号: 'AD0001' })).toBe(100);
    expect(fn(e, { 单据编号: 'GG0001' })).toBe(102);
    expect(fn(e, { 单据编号: 'ZZ' })).toBe(103);
  });

  it('CASE LOCATE(…) WHEN 0', () => {
    const e = "CASE LOCATE('检索文本', '{{检索的字段}}') WHEN 0 THEN '{{不匹配时字段A}}' ELSE '{{匹配时的字段}}' END";
    expect(fn(e, { 检索的字段: '这里有检索文本呢', 不匹配时字段A: 'A', 匹配时的字段: 'B' })).toBe('B');
    expect(fn(e, { 检索的字段: '没有', 不匹配时字段A: 'A', 匹配时的字段: 'B' })).toBe('A');
  });

  it('aggregates over a line table', () => {
    const c = { details_list: [{ qty: 10, price: '1.10' }, { qty: '20', price: '2.20' }, { qty: 30, price: null }] };
    expect(fn('SUM({{details_list.qty}})', c)).toBe(60);
    expect(fn('AVG({{details_list.qty}})', c)).toBe(20);
    expect(fn('MAX({{details_list.qty}})', c)).toBe(30);
    expect(fn('MIN({{details_list.qty}})', c)).toBe(10);
    expect(fn('COUNT({{details_list}})', c)).toBe(3);
    expect(fn('COUNT({{details_list.price}})', c)).toBe(2);
    expect(fn('SUM({{details_list.qty}} * {{details_list.price}})', c)).toBe(55);
    expect(fn('SUM({{details_list.qty}} * IFNULL({{details_list.price}}, 0) * {{rate}})', { ...c, rate: '0.5' })).toBe(27.5);
    expect(fn('SUM({{details_list.qty}})', { details_list: [] })).toBeUndefined();
    expect(fn('IFNULL(SUM({{details_list.qty}}), 0)', { details_list: [] })).toBe(0);
  });

  it('IFNULL default for an empty field', () => {
    expect(fn('IFNULL({{qty}}, 0) * {{price}}', { price: '5' })).toBe(0);
    expect(fn('IFNULL({{qty}}, 0) * {{price}}', { qty: 2, price: '5' })).toBe(10);
  });
});

describe('operators and MySQL coercion', () => {
  it('arithmetic is exact decimal', () => {
    expect(fn('0.1 + 0.2')).toBe(0.3);
    expect(fn('{{a}} + {{b}}', { a: 0.1, b: 0.2 })).toBe(0.3);
    expect(fn("'0.1' + '0.2'", {}, {}, 'string')).toBe('0.3');
    expect(fn('19.99 * 3', {}, {}, 'string')).toBe('59.97');
    expect(fn('123456789012.123456789 + 1', {}, {}, 'string')).toBe('123456789013.123456789');
    expect(fn('12345678901234567890 + 1', {}, {}, 'string')).toBe('12345678901234567891');
    expect(fn('10 / 4')).toBe(2.5);
    expect(fn('10 / 3', {}, {}, 'string')).toBe('3.3333');
    expect(fn('10 DIV 3')).toBe(3);
    expect(fn('10 % 3')).toBe(1);
    expect(fn('-7 MOD 3')).toBe(-1);
    expect(fn('-{{a}}', { a: '5' })).toBe(-5);
    expect(fn('2 + 3 * 4')).toBe(14);
    expect(fn('(2 + 3) * 4')).toBe(20);
  });

  it("'10' + 1 = 11, '' is 0, NULL propagates", () => {
    expect(fn("'10' + 1")).toBe(11);
    expect(fn("'' + 1")).toBe(1);
    expect(fn('{{missing}} + 1')).toBeUndefined();
    expect(fn("CONCAT('a', {{missing}})")).toBeUndefined();
  });

  it('comparisons: numbers vs text, text binary, NULL', () => {
    expect(fn("'10' = 10")).toBe(1);
    expect(fn("'10.0' = 10")).toBe(1);
    expect(fn("'abc' = 'abc'")).toBe(1);
    expect(fn("'abc' = 'ABC'")).toBe(0);
    expect(fn("'2' > '10'")).toBe(1); // text vs text compares as text
    expect(fn("'2' > 10")).toBe(0); // text vs number compares as numbers
    expect(fn('{{x}} = 1')).toBeUndefined();
    expect(fn('{{x}} IS NULL')).toBe(1);
    expect(fn('{{x}} IS NOT NULL', { x: '' })).toBe(1);
    expect(fn("'2024-03-14 16:00:00' > NOW()")).toBe(0);
    expect(fn("NOW() = '2024-03-14 16:00:00'")).toBe(1);
    expect(fn('1 <> 2')).toBe(1);
    expect(fn('1 != 1')).toBe(0);
  });

  it('AND/OR/XOR/NOT with MySQL precedence and three-valued logic', () => {
    expect(fn('1 = 1 AND 1 = 0 OR 1 = 1')).toBe(1); // (T AND F) OR T
    expect(fn('1 = 0 AND 1 = 1 OR 1 = 0')).toBe(0);
    expect(fn('1 = 1 OR 1 = 0 AND 1 = 0')).toBe(1);
    expect(fn('(1 = 1 OR 1 = 0) AND 1 = 0')).toBe(0);
    expect(fn('0 AND 1 OR 1 AND 1')).toBe(1);
    expect(fn('1 XOR 1 OR 1')).toBe(1);
    expect(fn('NOT 1 = 2')).toBe(1);
    expect(fn('NOT (1 = 1 AND 0)')).toBe(1);
    expect(fn('{{x}} AND 0')).toBe(0);
    expect(fn('{{x}} OR 1')).toBe(1);
    expect(fn('{{x}} OR 0')).toBeUndefined();
    expect(fn("'abc' OR 0")).toBe(0);
  });

  it('IN, LIKE, BETWEEN, IS', () => {
    expect(fn("{{s}} IN ('a', 'b')", { s: 'b' })).toBe(1);
    expect(fn('{{s}} NOT IN (1, 2)', { s: '3' })).toBe(1);
    expect(fn('{{s}} IN (1, NULL)', { s: '3' })).toBeUndefined();
    expect(fn("{{s}} LIKE 'T%'", { s: 'T100' })).toBe(1);
    expect(fn("{{s}} LIKE '_1%'", { s: 'T100' })).toBe(1);
    expect(fn("{{s}} NOT LIKE '%x%'", { s: 'T100' })).toBe(1);
    expect(fn("{{s}} LIKE 'T100'", { s: 'T100' })).toBe(1);
    expect(fn("{{s}} LIKE 'T10'", { s: 'T100' })).toBe(0);
    expect(fn("'a_c' LIKE 'a\\_c'")).toBe(1);
    expect(fn("'abc' LIKE 'a\\_c'")).toBe(0);
    expect(fn('{{n}} BETWEEN 1 AND 10', { n: '5' })).toBe(1);
    expect(fn('{{n}} NOT BETWEEN 1 AND 10', { n: 50 })).toBe(1);
    expect(fn('1 IS TRUE')).toBe(1);
    expect(fn('{{x}} IS FALSE')).toBe(0);
  });

  it('CASE, IF, IFNULL, COALESCE, NULLIF, ISNULL', () => {
    expect(fn("CASE WHEN {{n}} > 10 THEN 'big' WHEN {{n}} > 5 THEN 'mid' ELSE 'small' END", { n: 7 })).toBe('mid');
    expect(fn("CASE {{n}} WHEN 1 THEN 'one' END", { n: 2 })).toBeUndefined();
    expect(fn("IF({{paid}} > 0, 'paid', 'unpaid')", { paid: '0.00' })).toBe('unpaid');
    expect(fn('IFNULL({{a}}, {{b}})', { b: 'B' })).toBe('B');
    expect(fn('COALESCE({{a}}, {{b}}, 3)', {})).toBe(3);
    expect(fn("NULLIF({{a}}, '')", { a: '' })).toBeUndefined();
    expect(fn('ISNULL({{a}})')).toBe(1);
  });
});

describe('text functions', () => {
  it.each([
    ["CONCAT('a', {{n}}, 'c')", 'a1c'],
    ["CONCAT_WS('-', 'a', {{missing}}, 'c')", 'a-c'],
    ["LEFT('中文字符', 2)", '中文'],
    ["RIGHT('abcdef', 2)", 'ef'],
    ["SUBSTRING('abcdef', 2, 3)", 'bcd'],
    ["SUBSTRING('abcdef', -2)", 'ef'],
    ["SUBSTR('abcdef', 0)", ''],
    ["MID('中文字符', 2, 2)", '文字'],
    ["SUBSTRING_INDEX('a,b,c', ',', 2)", 'a,b'],
    ["SUBSTRING_INDEX('a,b,c', ',', -1)", 'c'],
    ["LOCATE('b', 'abcb')", 1 + 1],
    ["LOCATE('b', 'abcb', 3)", 4],
    ["LOCATE('z', 'abc')", 0],
    ["INSTR('abc', 'c')", 3],
    ["POSITION('c' IN 'abc')", 3],
    ["REPLACE('a-b-c', '-', '')", 'abc'],
    ["TRIM('  x  ')", 'x'],
    ["LTRIM('  x  ')", 'x  '],
    ["RTRIM('  x  ')", '  x'],
    ["TRIM(LEADING '0' FROM '00120')", '120'],
    ["TRIM(BOTH 'x' FROM 'xxaxx')", 'a'],
    ["UPPER('abc')", 'ABC'],
    ["LCASE('ABC')", 'abc'],
    ["LENGTH('中a')", 4],
    ["CHAR_LENGTH('中a')", 2],
    ["LPAD('7', 3, '0')", '007'],
    ["RPAD('ab', 5, 'xy')", 'abxyx'],
    ["REPEAT('ab', 3)", 'ababab'],
    ["REVERSE('abc')", 'cba'],
    ["FORMAT(1234567.891, 2)", '1,234,567.89'],
    ["'it''s'", "it's"],
    ["'line\\nnext'", 'line\nnext'],
    ['"double"', 'double'],
    ["'备注: {{m}}!'", '备注: hi!'],
  ])('%s', (expr, want) => {
    expect(fn(expr, { n: 1, m: 'hi' })).toBe(want);
  });
});

describe('number functions', () => {
  it.each([
    ['ROUND(2.5)', 3],
    ['ROUND(-2.5)', -3],
    ['ROUND(1.005, 2)', 1.01],
    ['ROUND(1234.5, -2)', 1200],
    ['FLOOR(-1.5)', -2],
    ['CEIL(1.2)', 2],
    ['CEILING(-1.2)', -1],
    ['ABS(-3.5)', 3.5],
    ['TRUNCATE(1.999, 2)', 1.99],
    ['MOD(10, 4)', 2],
    ['SIGN(-2)', -1],
    ['GREATEST(1, 5, 3)', 5],
    ['LEAST(4, 2, 3)', 2],
    ['CAST(\'12.7\' AS SIGNED)', 13],
    ['CAST(\'3.14159\' AS DECIMAL(10,2))', 3.14],
    ['CONVERT(\'5\', UNSIGNED)', 5],
  ])('%s', (expr, want) => {
    expect(fn(expr)).toBe(want);
  });

  it('ROUND with digits keeps trailing zeros in text', () => {
    expect(fn('ROUND(2.5, 2)', {}, {}, 'string')).toBe('2.50');
    expect(fn('ROUND({{a}} * {{b}}, 2)', { a: '19.99', b: '0.5' }, {}, 'string')).toBe('10.00');
    expect(fn("CAST('7' AS DECIMAL(10,2))", {}, {}, 'string')).toBe('7.00');
    expect(fn("CAST(12 AS CHAR)")).toBe('12');
  });
});

describe('date functions (Asia/Shanghai unless ctx.tz)', () => {
  it.each([
    ['NOW()', '2024-03-14 16:00:00'],
    ['CURRENT_TIMESTAMP', '2024-03-14 16:00:00'],
    ['CURDATE()', '2024-03-14'],
    ['UNIX_TIMESTAMP()', 1710403200],
    ["UNIX_TIMESTAMP('2024-03-14 16:00:00')", 1710403200],
    ['FROM_UNIXTIME(1710403200)', '2024-03-14 16:00:00'],
    ["FROM_UNIXTIME(1710403200, '%Y%m%d')", '20240314'],
    ["DATE_FORMAT('2024-03-14 16:05:09', '%Y/%m/%d %H:%i:%s %W %M %j')", '2024/03/14 16:05:09 Thursday March 074'],
    ["DATE_FORMAT(NOW(), '%y-%c-%e %k:%i %p')", '24-3-14 16:00 PM'],
    ["DATE_ADD('2024-01-31', INTERVAL 1 MONTH)", '2024-02-29'],
    ["DATE_ADD('2024-03-14 16:00:00', INTERVAL 90 MINUTE)", '2024-03-14 17:30:00'],
    ["DATE_SUB('2024-03-01', INTERVAL 1 DAY)", '2024-02-29'],
    ["NOW() - INTERVAL 1 DAY", '2024-03-13 16:00:00'],
    ["ADDDATE('2024-12-31', 1)", '2025-01-01'],
    ["DATE('2024-03-14 16:05:09')", '2024-03-14'],
    ["YEAR('2024-03-14')", 2024],
    ["MONTH(NOW())", 3],
    ["DAY(NOW())", 14],
    ["HOUR(NOW())", 16],
    ["DATEDIFF('2024-03-14', '2024-02-14')", 29],
    ["TIMESTAMPDIFF(DAY, '2024-03-01', '2024-03-14 12:00:00')", 13],
    ["TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29')", 0],
    ["TIMESTAMPDIFF(MONTH, '2024-01-15', '2024-03-15')", 2],
    ["LAST_DAY('2024-02-10')", '2024-02-29'],
    ["STR_TO_DATE('14/03/2024', '%d/%m/%Y')", '2024-03-14'],
    ["CAST('2024-03-14 16:00:00' AS DATE)", '2024-03-14'],
  ])('%s', (expr, want) => {
    expect(fn(expr)).toBe(want);
  });

  it('CURRENT_TIME / LAST_SYNC_TIME variables are Unix seconds', () => {
    expect(fn('{{CURRENT_TIME}}')).toBe(1710403200);
    expect(fn('FROM_UNIXTIME({{CURRENT_TIME}})')).toBe('2024-03-14 16:00:00');
    expect(fn('{{LAST_SYNC_TIME}}', {}, { vars: { LAST_SYNC_TIME: new Date('2024-03-14T07:00:00Z') } })).toBe(1710399600);
    expect(fn('{{LAST_SYNC_TIME}}', {}, { vars: { LAST_SYNC_TIME: '2024-03-14 15:00:00' } })).toBe(1710399600);
  });

  it('respects ctx.tz', () => {
    expect(fn('NOW()', {}, { tz: 'UTC' })).toBe('2024-03-14 08:00:00');
    expect(fn('FROM_UNIXTIME(1710403200)', {}, { tz: 'America/New_York' })).toBe('2024-03-14 04:00:00');
  });

  it('date results honour the target type', () => {
    expect(fn('NOW()', {}, {}, '时间戳秒')).toBe(1710403200);
    expect(fn('NOW()', {}, {}, 'date')).toBe('2024-03-14');
    expect(fn("'{{t|date}}'", { t: 1710403200 })).toBe('2024-03-14');
  });
});

describe('templates are bound parameters, never spliced', () => {
  it('quotes in record values cannot break out of the expression', () => {
    const evil = "x' OR '1'='1";
    expect(fn("'{{s}}' = 'y'", { s: evil })).toBe(0);
    expect(fn("CONCAT('[', '{{s}}', ']')", { s: evil })).toBe(`[${evil}]`);
    expect(fn('{{s}}', { s: "1); DROP TABLE x; --" })).toBe('1); DROP TABLE x; --');
  });

  it('a bare template keeps the value type; a quoted one is text', () => {
    expect(fn('{{n}} + 1', { n: 2 })).toBe(3);
    expect(fn("'{{n}}'", { n: 2 })).toBe('2');
    expect(fn("'{{missing}}'", {})).toBe('');
    expect(fn("CONCAT('{{o.a}}', '/', {{o.b}})", { o: { a: 'x', b: 1 } })).toBe('x/1');
  });

  it('inside line tables templates read the current line', () => {
    const t = compileTarget({
      api: 't',
      request: [{
        field: 'lines', type: 'array', value: 'details',
        children: [
          { field: 'amount', type: 'string', value: '_function ROUND({{details.qty}} * {{details.price}}, 2)' },
          { field: 'share', type: 'string', value: '_function ROUND({{details.qty}} * {{details.price}} / SUM({{$root.details.qty}} * {{$root.details.price}}), 4)' },
        ],
      }],
    });
    const out = (t.map({ details: [{ qty: 2, price: '1.25' }, { qty: 1, price: '7.50' }] }) as MappedRecord).item;
    expect(out.lines).toEqual([{ amount: '2.50', share: '0.2500' }, { amount: '7.50', share: '0.7500' }]);
  });
});

describe('failures', () => {
  it('bad expressions are rejected at compile time with the field path', () => {
    expect(compileIssues('1 +')[0]).toMatch(/cannot parse _function expression/);
    expect(compileIssues('NOSUCH(1)')).toEqual(['unknown function NOSUCH()']);
    expect(compileIssues('LEFT(1)')).toEqual(['LEFT takes 2 arguments, got 1']);
    expect(compileIssues('trade_status')[0]).toMatch(/unknown name 'trade_status': write \{\{trade_status\}\}/);
    expect(compileIssues("1 FROM t")[0]).toMatch(/single expression/);
    expect(compileIssues('1, 2')[0]).toMatch(/single expression/);
    expect(compileIssues('1; DROP TABLE t')[0]).toMatch(/single expression|cannot parse/);
    expect(compileIssues("'{{a'")[0]).toMatch(/unbalanced|unterminated/);
    expect(compileIssues("{{a|nofmt}}")[0]).toMatch(/unknown formatter/);
    expect(compileIssues("x REGEXP 'a'")[0]).toMatch(/unknown name|REGEXP/);
    expect(compileIssues("MAP('nomap', 1)")[0]).toMatch(/unknown value map 'nomap'/);
    expect(compileIssues('(SELECT 1)')[0]).toMatch(/sub-queries/);
    expect(compileIssues('')[0]).toMatch(/needs an expression/);
  });

  it('runtime failures throw MappingError with field, expression and reason — never the raw text', () => {
    const e = runtimeError('{{a}} / {{b}}', { a: 1, b: 0 });
    expect(e.field).toBe('x');
    expect(e.expression).toBe('_function {{a}} / {{b}}');
    expect(e.message).toContain('division by zero');
    expect(runtimeError('{{a}} + 1', { a: 'abc' }).message).toContain("'abc' is not a number");
    expect(runtimeError("DATE_FORMAT({{d}}, '%Y')", { d: 'soon' }).message).toContain('is not a date');
    expect(runtimeError('{{list}} + 1', { list: [1] }).message).toContain('not a number');
  });

  it('custom functions via registerFunction', () => {
    registerFunction('DOUBLE_IT', (args) => Number(args[0]) * 2, { minArgs: 1, maxArgs: 1 });
    expect(fn('DOUBLE_IT({{n}})', { n: 21 })).toBe(42);
    expect(compileIssues('DOUBLE_IT()')).toEqual(['DOUBLE_IT takes 1 argument, got 0']);
    registerFunction('BOOM', () => { throw new Error('kaput'); });
    expect(runtimeError('BOOM()').message).toContain('kaput');
  });
});

describe('lint', () => {
  it('warns when a quoted text in _function is the name of a declared source field', () => {
    const t = compileTarget(
      { api: 't', request: [{ field: 'trade_status', value: "_function case when 'kuaidi100Data.state' in ('301') then '70' else 'trade_status' end" }] },
      { source: { api: 's', request: [{ field: 'kuaidi100Data', type: 'object', children: [{ field: 'kuaidi100Data.state' }] }, { field: 'trade_status' }] } },
    );
    expect(t.warnings.map((w) => w.message)).toEqual([
      "'kuaidi100Data.state' is text; to read the field write '{{kuaidi100Data.state}}'",
      "'trade_status' is text; to read the field write '{{trade_status}}'",
    ]);
  });
});
