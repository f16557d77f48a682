/** Editable table of one parameter list (source fields): add, remove, rename, type, required; rows are draggable. */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, Input, Select, Space, Table, Tag } from 'antd';
import { useT } from '../i18n';
import { flattenParams, isRequired, leafName, removeParam, updateParam, type ParamRow } from '../lib/params';
import type { MetaParam } from '../types';

export const FIELD_TYPES = ['string', 'int', 'float', 'number', 'boolean', 'datetime', 'date', 'timestamp', 'array', 'object', '长日期时间', '短日期', '时间戳秒', '时间戳毫秒', '多行分录', '子表对象'];

export function FieldTable({
  fields,
  onChange,
  readOnly,
  listName,
  testId,
}: {
  fields: MetaParam[];
  onChange(next: MetaParam[]): void;
  readOnly?: boolean;
  listName: 'request' | 'response';
  testId?: string;
}) {
  const t = useT();
  const rows = flattenParams(fields, listName);
  const set = (row: ParamRow, patch: Partial<MetaParam>) => onChange(updateParam(fields, row.indexes, (p) => ({ ...p, ...patch })));
  const rename = (row: ParamRow, name: string) => {
    const parent = row.path.includes('.') ? row.path.slice(0, row.path.lastIndexOf('.')) : '';
    // Children keep the style they were written in (`oid` or `order_list.oid`).
    const dotted = parent && row.param.field.startsWith(`${parent}.`);
    set(row, { field: dotted ? `${parent}.${name}` : name });
  };
  return (
    <div data-testid={testId}>
      <Table<ParamRow>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        scroll={{ x: readOnly ? undefined : 470, y: 520 }}
        onRow={(row) => ({
          draggable: true,
          className: 'source-field',
          onDragStart: (e) => {
            e.dataTransfer.setData('text/plain', row.path);
            e.dataTransfer.effectAllowed = 'copy';
          },
          'data-path': row.path,
        }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('字段', 'Field'),
            width: 150,
            render: (_, row) => (
              <div style={{ paddingLeft: row.depth * 14 }}>
                {readOnly ? (
                  <span className="mono">{leafName(row.param.field, row.path.includes('.') ? row.path.slice(0, row.path.lastIndexOf('.')) : undefined)}</span>
                ) : (
                  <Input size="small" className="mono" value={leafName(row.param.field, row.path.includes('.') ? row.path.slice(0, row.path.lastIndexOf('.')) : undefined)} onChange={(e) => rename(row, e.target.value)} />
                )}
              </div>
            ),
          },
          {
            title: t('名称', 'Label'),
            width: readOnly ? undefined : 120,
            ellipsis: true,
            render: (_, row) => (readOnly ? row.param.label : <Input size="small" value={row.param.label ?? ''} onChange={(e) => set(row, { label: e.target.value })} />),
          },
          {
            title: t('类型', 'Type'),
            width: 96,
            render: (_, row) =>
              readOnly ? (
                <Tag>{row.param.type ?? 'string'}</Tag>
              ) : (
                <Select size="small" style={{ width: '100%' }} value={row.param.type ?? 'string'} options={FIELD_TYPES.map((x) => ({ value: x }))} onChange={(v) => set(row, { type: v })} />
              ),
          },
          {
            title: t('必填', 'Req.'),
            width: 48,
            render: (_, row) => <Checkbox disabled={readOnly} checked={isRequired(row.param)} onChange={(e) => set(row, { is_required: e.target.checked })} />,
          },
          ...(readOnly
            ? []
            : [
                {
                  title: '',
                  width: 60,
                  render: (_: unknown, row: ParamRow) => (
                    <Space size={0}>
                      {(row.param.type === 'array' || row.param.type === 'object' || row.param.type === '多行分录' || row.param.type === '子表对象') && (
                        <Button
                          size="small"
                          type="text"
                          icon={<PlusOutlined />}
                          title={t('添加子字段', 'Add a child field')}
                          onClick={() => set(row, { children: [...(row.param.children ?? []), { field: `${row.path}.new_field`, label: '', type: 'string' }] })}
                        />
                      )}
                      <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => onChange(removeParam(fields, row.indexes))} />
                    </Space>
                  ),
                },
              ]),
        ]}
      />
      {!readOnly && (
        <Button size="small" type="dashed" icon={<PlusOutlined />} style={{ marginTop: 8 }} onClick={() => onChange([...fields, { field: `field_${fields.length + 1}`, label: '', type: 'string', is_required: false }])}>
          {t('添加字段', 'Add field')}
        </Button>
      )}
    </div>
  );
}
