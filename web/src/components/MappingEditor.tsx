/**
 * The mapping editor: one row per target field (call-level params first, then the item's fields and line tables),
 * each with its rule: autofill from the same-named source field, a source field (pick it, or drag it from the source
 * table), a fixed value, a template, a `_function` expression, a `_findCollection` lookup, a line table's source
 * path, or nothing. A value map (静态映射) can be applied on top.
 */
import { Input, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useT } from '../i18n';
import { flattenParams, isArrayParam, isRequired, leafName, ruleOf, setRule, updateParam, type ParamRow, type RuleMode } from '../lib/params';
import type { Issue } from '../api';
import type { MetaParam } from '../types';

export interface MappingEditorProps {
  request: MetaParam[];
  otherRequest: MetaParam[];
  sourceFields: MetaParam[];
  /** Catalogue descriptions by target path. */
  docs: Map<string, string>;
  maps: string[];
  readOnly?: boolean;
  issues: Issue[];
  onChange(next: { request: MetaParam[]; otherRequest: MetaParam[] }): void;
}

export function MappingEditor(p: MappingEditorProps) {
  const t = useT();
  const [dropKey, setDropKey] = useState<string | null>(null);
  const rows = useMemo(() => [...flattenParams(p.otherRequest, 'otherRequest'), ...flattenParams(p.request, 'request')], [p.request, p.otherRequest]);
  const sourceOptions = useMemo(
    () => flattenParams(p.sourceFields, 'request').map((r) => ({ value: r.path, label: `${r.path}${r.param.label && r.param.label !== leafName(r.param.field) ? `  ${r.param.label}` : ''}` })),
    [p.sourceFields],
  );
  const modeOptions: Array<{ value: RuleMode; label: string }> = [
    { value: 'auto', label: t('自动填充同名字段', 'Autofill same name') },
    { value: 'field', label: t('源字段', 'Source field') },
    { value: 'fixed', label: t('固定值', 'Fixed value') },
    { value: 'template', label: t('模板 {{…}}', 'Template {{…}}') },
    { value: 'function', label: t('函数 _function', 'Function _function') },
    { value: 'lookup', label: t('查找 _findCollection', 'Lookup _findCollection') },
    { value: 'array', label: t('明细来源路径', 'Line table source path') },
    { value: 'none', label: t('不传', 'Not sent') },
  ];
  const edit = (row: ParamRow, fn: (x: MetaParam) => MetaParam) => {
    if (row.list === 'request') p.onChange({ request: updateParam(p.request, row.indexes, fn), otherRequest: p.otherRequest });
    else p.onChange({ request: p.request, otherRequest: updateParam(p.otherRequest, row.indexes, fn) });
  };
  // Compile issues name parameters by position: `target.metadata.request[26].children[0].value`.
  const issueOf = (row: ParamRow) => {
    const at = `${row.list}[${row.indexes[0]}]${row.indexes.slice(1).map((i) => `.children[${i}]`).join('')}`;
    return p.issues.filter((i) => {
      const path = i.path.replace(/^target\.metadata\./, '');
      if (path === at) return true;
      return path.startsWith(`${at}.`) && !path.slice(at.length).startsWith('.children');
    });
  };
  return (
    <Table<ParamRow>
      size="small"
      rowKey="key"
      pagination={false}
      dataSource={rows}
      scroll={{ y: 620 }}
      data-testid="mapping-editor"
      rowClassName={(row) => (dropKey === row.key ? 'drop-hover' : issueOf(row).length ? 'row-error' : '')}
      onRow={(row) =>
        ({
          'data-target': `${row.list}.${row.path}`,
          onDragOver: (e: React.DragEvent) => {
            if (p.readOnly) return;
            e.preventDefault();
            e.dataTransfer.dropEffect = 'copy';
            setDropKey(row.key);
          },
          onDragLeave: () => setDropKey((k) => (k === row.key ? null : k)),
          onDrop: (e: React.DragEvent) => {
            e.preventDefault();
            setDropKey(null);
            const path = e.dataTransfer.getData('text/plain');
            if (path && !p.readOnly) edit(row, (x) => setRule(x, isArrayParam(x) ? 'array' : 'field', path));
          },
        }) as React.HTMLAttributes<HTMLElement>
      }
      columns={[
        {
          title: t('目标字段', 'Target field'),
          width: '30%',
          render: (_, row) => (
            <div className="field-cell" style={{ paddingLeft: row.depth * 14 }}>
              <span>
                {isRequired(row.param) && <span style={{ color: '#ff4d4f' }}>* </span>}
                <Tooltip title={p.docs.get(`${row.list}.${row.path}`) ?? p.docs.get(row.path)}>
                  <span className="mono">{leafName(row.param.field, row.path.includes('.') ? row.path.slice(0, row.path.lastIndexOf('.')) : undefined)}</span>
                </Tooltip>{' '}
                <Tag style={{ marginLeft: 4 }}>{row.param.type ?? 'string'}</Tag>
                {row.list === 'otherRequest' && row.depth === 0 && <Tag color="purple">{t('调用级', 'call-level')}</Tag>}
              </span>
              <small>{row.param.label}</small>
            </div>
          ),
        },
        {
          title: t('映射方式', 'Rule'),
          width: 190,
          render: (_, row) => {
            const r = ruleOf(row.param);
            return (
              <Select
                size="small"
                style={{ width: '100%' }}
                disabled={p.readOnly}
                value={r.mode}
                data-testid={`rule-${row.list}.${row.path}`}
                options={modeOptions.filter((o) => o.value !== 'array' || isArrayParam(row.param))}
                onChange={(mode: RuleMode) => edit(row, (x) => setRule(x, mode, mode === r.mode ? r.text : mode === 'field' && r.mode === 'auto' ? row.path : ''))}
              />
            );
          },
        },
        {
          title: t('值', 'Value'),
          render: (_, row) => {
            const r = ruleOf(row.param);
            const problems = issueOf(row);
            let input: React.ReactNode = null;
            if (r.mode === 'auto') input = <Typography.Text type="secondary">{t(`取源字段 ${row.path}`, `from source field ${row.path}`)}</Typography.Text>;
            else if (r.mode === 'none') input = <Typography.Text type="secondary">-</Typography.Text>;
            else if (r.mode === 'field' || r.mode === 'array')
              input = (
                <Select
                  size="small"
                  showSearch
                  allowClear
                  style={{ width: '100%' }}
                  disabled={p.readOnly}
                  value={r.text || undefined}
                  placeholder={t('选择或拖入源字段', 'pick or drop a source field')}
                  options={sourceOptions}
                  data-testid={`value-${row.list}.${row.path}`}
                  onChange={(v) => edit(row, (x) => setRule(x, r.mode, v ?? ''))}
                />
              );
            else
              input = (
                <Input
                  size="small"
                  className="mono"
                  disabled={p.readOnly}
                  value={r.text}
                  placeholder={r.mode === 'function' ? "_function CONCAT('{{tid}}', '-1')" : r.mode === 'lookup' ? '_findCollection find x from scheme where a={{b}}' : r.mode === 'template' ? '备注: {{buyer_message}}' : ''}
                  data-testid={`value-${row.list}.${row.path}`}
                  onChange={(e) => edit(row, (x) => setRule(x, r.mode, e.target.value))}
                />
              );
            return (
              <Space orientation="vertical" size={2} style={{ width: '100%' }}>
                {input}
                {problems.map((i) => (
                  <Typography.Text key={i.path + i.message} type="danger" style={{ fontSize: 12 }}>
                    {i.message}
                  </Typography.Text>
                ))}
              </Space>
            );
          },
        },
        ...(p.maps.length
          ? [
              {
                title: t('值映射', 'Value map'),
                width: 130,
                render: (_: unknown, row: ParamRow) => (
                  <Select
                    size="small"
                    allowClear
                    style={{ width: '100%' }}
                    disabled={p.readOnly}
                    value={row.param.map || undefined}
                    options={p.maps.map((m) => ({ value: m }))}
                    onChange={(v) =>
                      edit(row, (x) => {
                        const n = { ...x };
                        if (v) n.map = v;
                        else delete n.map;
                        return n;
                      })
                    }
                  />
                ),
              },
            ]
          : []),
      ]}
    />
  );
}
