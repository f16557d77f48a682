/**
 * 数据管理: a scheme's records with filters, a detail drawer with the full trace (content, mapped request, every call,
 * history), and the operator actions: re-queue, edit and resubmit, ignore, singly and in bulk.
 */
import { ReloadOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Card, Collapse, DatePicker, Descriptions, Drawer, Empty, Input, Popconfirm, Select, Space, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { ApiError, get, post, put, qs } from '../api';
import { useAuth } from '../auth';
import { JsonBlock, PageTitle, StatusTag, expandJsonStrings, fmtTime, useStatusLabel } from '../components/common';
import { useT } from '../i18n';
import { navigate } from '../router';
import { STATUSES, type RecordRow } from '../types';
import { useSchemes } from './Schemes';

interface RecordDetail extends RecordRow {
  content: unknown;
  mapped: unknown;
  history: Array<{
    at: number;
    kind: string;
    message: string | null;
    data: unknown;
    call: null | { id: number; api: string; url: string; request: unknown; status: number | null; response: string | null; durationMs: number; error: string | null; outcome: string };
  }>;
}

export function DataPage({ schemeId }: { schemeId?: string }) {
  const t = useT();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const statusLabel = useStatusLabel();
  const schemes = useSchemes();
  const initialStatus = new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('status');
  const [status, setStatus] = useState<string[]>(initialStatus ? [initialStatus] : []);
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [key, setKey] = useState('');
  const [text, setText] = useState('');
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const [selected, setSelected] = useState<number[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const scheme = schemeId ?? schemes.data?.[0]?.id;
  useEffect(() => {
    setSelected([]);
    setPage((p) => ({ ...p, current: 1 }));
  }, [scheme, status, range, key, text]);
  const filter = {
    status: status.length ? status : undefined,
    from: range?.[0]?.valueOf(),
    to: range?.[1]?.valueOf(),
    key: key || undefined,
    text: text || undefined,
  };
  const records = useQuery({
    queryKey: ['records', scheme, filter, page],
    queryFn: () => get<{ total: number; rows: RecordRow[] }>(`/api/schemes/${encodeURIComponent(scheme!)}/records/search${qs({ ...filter, limit: page.pageSize, offset: (page.current - 1) * page.pageSize })}`),
    enabled: Boolean(scheme),
    refetchInterval: 3000,
  });
  const act = async (action: 'requeue' | 'ignore', body: Record<string, unknown>) => {
    try {
      const r = await post<{ requeued?: number; ignored?: number }>(`/api/schemes/${encodeURIComponent(scheme!)}/records/${action}`, body);
      message.success(action === 'requeue' ? t(`已重新排队 ${r.requeued} 条`, `${r.requeued} record(s) re-queued`) : t(`已忽略 ${r.ignored} 条`, `${r.ignored} record(s) ignored`));
      setSelected([]);
      void qc.invalidateQueries({ queryKey: ['records'] });
      void qc.invalidateQueries({ queryKey: ['record'] });
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };
  /** The filter as the bulk actions take it (they match status, time and error text; not content text or key). */
  const bulkFilter = () => ({
    ...(status.length ? { status } : {}),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
    ...(text ? { error: text } : {}),
  });
  const canBulkByFilter = Object.keys(bulkFilter()).length > 0 && !key;
  const retryNow = async () => {
    try {
      const r = await post<{ retried: number }>(`/api/schemes/${encodeURIComponent(scheme!)}/records/retry-now`);
      message.success(t(`${r.retried} 条等待重试的数据将立即发送`, `${r.retried} waiting retr(ies) brought forward`));
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };
  return (
    <div data-testid="page-data">
      <PageTitle
        title={t('数据管理', 'Data')}
        extra={
          <Select
            style={{ width: 360 }}
            value={scheme}
            placeholder={t('选择方案', 'Pick a scheme')}
            options={(schemes.data ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }))}
            onChange={(v) => navigate(`/data?scheme=${encodeURIComponent(v)}`)}
            data-testid="data-scheme"
          />
        }
      />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap>
          <Select
            mode="multiple"
            allowClear
            style={{ minWidth: 220 }}
            placeholder={t('状态', 'Status')}
            value={status}
            onChange={setStatus}
            options={STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
            data-testid="data-status"
          />
          <DatePicker.RangePicker showTime value={range} onChange={(v) => setRange(v as typeof range)} placeholder={[t('开始时间', 'From'), t('结束时间', 'To')]} />
          <Input.Search allowClear style={{ width: 200 }} placeholder={t('主键 / 单据编号', 'Id / number')} onSearch={setKey} data-testid="data-key" />
          <Input.Search allowClear style={{ width: 240 }} placeholder={t('内容或错误中的文字', 'Text in content or error')} onSearch={setText} data-testid="data-text" />
          <Button icon={<ReloadOutlined />} onClick={() => void records.refetch()}>
            {t('刷新', 'Refresh')}
          </Button>
        </Space>
        {can('operator') && (
          <div style={{ marginTop: 12 }}>
            <Space wrap>
              <Button type="primary" disabled={!selected.length} onClick={() => act('requeue', { ids: selected })} data-testid="bulk-requeue">
                {t(`重新排队选中 (${selected.length})`, `Re-queue selected (${selected.length})`)}
              </Button>
              <Popconfirm title={t('忽略选中的数据？', 'Ignore the selected records?')} onConfirm={() => act('ignore', { ids: selected })}>
                <Button disabled={!selected.length} data-testid="bulk-ignore">
                  {t(`忽略选中 (${selected.length})`, `Ignore selected (${selected.length})`)}
                </Button>
              </Popconfirm>
              <Popconfirm
                disabled={!canBulkByFilter}
                title={t('按当前筛选条件（状态、时间、错误文字）重新排队所有匹配的数据？', 'Re-queue every record matching the filter (status, time, error text)?')}
                onConfirm={() => act('requeue', bulkFilter())}
              >
                <Button disabled={!canBulkByFilter} data-testid="bulk-requeue-filter">
                  {t('按筛选重新排队全部', 'Re-queue all matching')}
                </Button>
              </Popconfirm>
              <Popconfirm disabled={!canBulkByFilter} title={t('按当前筛选条件忽略所有匹配的数据？', 'Ignore every record matching the filter?')} onConfirm={() => act('ignore', bulkFilter())}>
                <Button disabled={!canBulkByFilter}>{t('按筛选忽略全部', 'Ignore all matching')}</Button>
              </Popconfirm>
              <Button onClick={retryNow}>{t('立即重试等待中的数据', 'Retry waiting records now')}</Button>
            </Space>
          </div>
        )}
      </Card>
      {!scheme ? (
        <Empty description={t('还没有方案', 'No schemes yet')} />
      ) : (
        <Table<RecordRow>
          rowKey="id"
          size="small"
          loading={records.isLoading}
          dataSource={records.data?.rows ?? []}
          scroll={{ x: 1000 }}
          data-testid="records-table"
          rowSelection={can('operator') ? { selectedRowKeys: selected, onChange: (k) => setSelected(k as number[]), getCheckboxProps: (r) => ({ disabled: r.status === 5 }) } : undefined}
          pagination={{ ...page, total: records.data?.total ?? 0, showSizeChanger: true, showTotal: (n) => t(`共 ${n} 条`, `${n} in all`), onChange: (current, pageSize) => setPage({ current, pageSize }) }}
          onRow={(r) => ({ onClick: (e) => { if (!(e.target as HTMLElement).closest('.ant-checkbox-wrapper, .ant-table-selection-column')) setOpen(r.id); }, style: { cursor: 'pointer' }, 'data-record': r.sourceId }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: '#', dataIndex: 'id', width: 80 },
            { title: t('主键', 'Id'), dataIndex: 'sourceId' },
            { title: t('单据编号', 'Number'), dataIndex: 'number' },
            { title: t('状态', 'Status'), dataIndex: 'statusName', render: (s) => <StatusTag status={s} /> },
            { title: t('尝试', 'Tries'), dataIndex: 'attempts', width: 60 },
            { title: t('错误信息', 'Error'), dataIndex: 'error', ellipsis: true, render: (e) => (e ? <Typography.Text type="danger">{e}</Typography.Text> : null) },
            { title: t('下次重试', 'Next try'), dataIndex: 'dueAt', render: (d, r) => (r.status === 0 && d > Date.now() ? fmtTime(d) : '') },
            { title: t('创建时间', 'Created'), dataIndex: 'createdAt', render: fmtTime },
            { title: t('更新时间', 'Updated'), dataIndex: 'updatedAt', render: fmtTime },
          ]}
        />
      )}
      {open !== null && scheme && <RecordDrawer schemeId={scheme} id={open} onClose={() => setOpen(null)} onAction={act} />}
    </div>
  );
}

function RecordDrawer({ schemeId, id, onClose, onAction }: { schemeId: string; id: number; onClose(): void; onAction(a: 'requeue' | 'ignore', body: Record<string, unknown>): Promise<void> }) {
  const t = useT();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const rec = useQuery({ queryKey: ['record', schemeId, id], queryFn: () => get<RecordDetail>(`/api/schemes/${encodeURIComponent(schemeId)}/records/${id}`), refetchInterval: 3000 });
  const [editing, setEditing] = useState<string | null>(null);
  const [editError, setEditError] = useState<ApiError | null>(null);
  const r = rec.data;
  const saveEdit = async () => {
    setEditError(null);
    let content: unknown;
    try {
      content = JSON.parse(editing!);
    } catch (e) {
      setEditError(new ApiError(400, 'bad_request', t('不是有效的 JSON：', 'Not valid JSON: ') + (e as Error).message));
      return;
    }
    try {
      await put(`/api/schemes/${encodeURIComponent(schemeId)}/records/${id}/content`, { content });
      message.success(t('已保存并重新提交', 'Saved and resubmitted'));
      setEditing(null);
      void qc.invalidateQueries({ queryKey: ['record', schemeId, id] });
      void qc.invalidateQueries({ queryKey: ['records'] });
    } catch (e) {
      setEditError(e as ApiError);
    }
  };
  const calls = r?.history.filter((h) => h.call) ?? [];
  return (
    <Drawer open size={880} onClose={onClose} title={r ? <Space>{t('数据详情', 'Record')} {r.sourceId} <StatusTag status={r.statusName} /></Space> : t('数据详情', 'Record')} data-testid="record-drawer"
      extra={
        r && can('operator') && (
          <Space>
            <Button type="primary" disabled={r.status === 5} onClick={() => onAction('requeue', { ids: [id] }).then(() => rec.refetch())} data-testid="record-requeue">
              {t('重新排队', 'Re-queue')}
            </Button>
            <Popconfirm title={t('忽略这条数据？', 'Ignore this record?')} onConfirm={() => onAction('ignore', { ids: [id] }).then(() => rec.refetch())}>
              <Button disabled={r.status === 5} data-testid="record-ignore">{t('忽略', 'Ignore')}</Button>
            </Popconfirm>
          </Space>
        )
      }
    >
      {!r ? (
        <Empty />
      ) : (
        <>
          <Descriptions
            size="small"
            column={2}
            bordered
            items={[
              { label: '#', children: r.id },
              { label: t('主键', 'Id'), children: r.sourceId },
              { label: t('单据编号', 'Number'), children: r.number },
              { label: t('尝试次数', 'Attempts'), children: r.attempts },
              { label: t('创建时间', 'Created'), children: fmtTime(r.createdAt) },
              { label: t('更新时间', 'Updated'), children: fmtTime(r.updatedAt) },
              ...(r.error ? [{ label: t('错误信息', 'Error'), span: 2, children: <Typography.Text type="danger" data-testid="record-error">{r.error}</Typography.Text> }] : []),
            ]}
          />
          <Tabs
            style={{ marginTop: 12 }}
            items={[
              {
                key: 'content',
                label: t('源数据', 'Content'),
                children: editing !== null ? (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    <Input.TextArea className="mono" rows={22} value={editing} onChange={(e) => setEditing(e.target.value)} data-testid="record-edit-text" />
                    {editError && <Alert type="error" title={editError.message} description={editError.issues.map((i, k) => <div key={k}><code>{i.path}</code> {i.message}</div>)} />}
                    <Space>
                      <Button type="primary" onClick={saveEdit} data-testid="record-edit-save">
                        {t('保存并重新提交', 'Save and resubmit')}
                      </Button>
                      <Button onClick={() => setEditing(null)}>{t('取消', 'Cancel')}</Button>
                    </Space>
                  </Space>
                ) : (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    {can('operator') && r.status !== 5 && (
                      <Button onClick={() => setEditing(JSON.stringify(r.content, null, 2))} data-testid="record-edit">
                        {t('编辑并重新提交', 'Edit and resubmit')}
                      </Button>
                    )}
                    <JsonBlock value={r.content} maxHeight={560} testId="record-content" />
                  </Space>
                ),
              },
              { key: 'mapped', label: t('映射结果', 'Mapped request'), children: r.mapped ? <JsonBlock value={r.mapped} maxHeight={560} /> : <Empty description={t('尚未映射', 'Not mapped yet')} /> },
              {
                key: 'calls',
                label: `${t('调用记录', 'Calls')} (${calls.length})`,
                children: calls.length ? (
                  <Collapse
                    data-testid="record-calls"
                    items={calls.map((h, k) => ({
                      key: k,
                      label: (
                        <Space wrap>
                          <Tag color={h.call!.outcome === 'ok' ? 'success' : h.call!.outcome === 'transient' ? 'warning' : 'error'}>{h.call!.outcome}</Tag>
                          {h.call!.api}
                          <span>HTTP {h.call!.status ?? '-'}</span>
                          <span>{Math.round(h.call!.durationMs)} ms</span>
                          <span>{fmtTime(h.at)}</span>
                        </Space>
                      ),
                      children: (
                        <Space orientation="vertical" style={{ width: '100%' }}>
                          <Typography.Text type="secondary">{h.call!.url}</Typography.Text>
                          {h.call!.error && <Alert type="error" title={h.call!.error} />}
                          <Typography.Text strong>{t('请求（密钥已隐藏）', 'Request (secrets masked)')}</Typography.Text>
                          <JsonBlock value={expandJsonStrings(h.call!.request)} />
                          <Typography.Text strong>{t('响应', 'Response')}</Typography.Text>
                          <JsonBlock value={prettyMaybe(h.call!.response)} />
                        </Space>
                      ),
                    }))}
                  />
                ) : (
                  <Empty description={t('还没有调用', 'No calls yet')} />
                ),
              },
              {
                key: 'history',
                label: t('处理历史', 'History'),
                children: (
                  <Timeline
                    data-testid="record-history"
                    items={r.history.map((h) => ({
                      color: h.kind === 'error' ? 'red' : h.kind === 'done' ? 'green' : h.kind === 'retry' ? 'orange' : 'blue',
                      title: `${fmtTime(h.at)} · ${h.kind}`,
                      content: (
                        <div>
                          {h.message && <div>{h.message}</div>}
                          {h.call && <small>{`${h.call.api} → ${h.call.outcome} (${Math.round(h.call.durationMs)} ms)`}</small>}
                          {h.data != null && h.kind !== 'call' ? <small className="mono"> {JSON.stringify(h.data).slice(0, 200)}</small> : null}
                        </div>
                      ),
                    }))}
                  />
                ),
              },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}

function prettyMaybe(s: string | null): string {
  if (!s) return '';
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

