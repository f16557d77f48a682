/** 日志: target calls, record errors / retries / operator actions, and the console's audit trail, across schemes. */
import { useQuery } from '@tanstack/react-query';
import { Alert, Card, DatePicker, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { get, qs } from '../api';
import { JsonBlock, PageTitle, StatusTag, expandJsonStrings, fmtTime } from '../components/common';
import { useT } from '../i18n';
import { href } from '../router';
import { useSchemes } from './Schemes';

interface CallRow {
  id: number;
  schemeId: string;
  at: number;
  api: string;
  url: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  outcome: string;
  recordIds: number[];
}

function useFilters() {
  const [schemes, setSchemes] = useState<string[]>([]);
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [text, setText] = useState('');
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  return { schemes, setSchemes, range, setRange, text, setText, page, setPage };
}

export function LogsPage() {
  const t = useT();
  return (
    <div data-testid="page-logs">
      <PageTitle title={t('日志', 'Logs')} />
      <Tabs
        items={[
          { key: 'calls', label: t('调用记录', 'Calls'), children: <CallsTab /> },
          { key: 'events', label: t('错误与操作', 'Errors and actions'), children: <EventsTab /> },
          { key: 'audit', label: t('操作审计', 'Audit'), children: <AuditTab /> },
        ]}
      />
    </div>
  );
}

function FilterBar({ f, extra }: { f: ReturnType<typeof useFilters>; extra?: React.ReactNode }) {
  const t = useT();
  const schemes = useSchemes();
  return (
    <Card size="small" style={{ marginBottom: 12 }}>
      <Space wrap>
        <Select mode="multiple" allowClear style={{ minWidth: 240 }} placeholder={t('全部方案', 'All schemes')} value={f.schemes} onChange={f.setSchemes} options={(schemes.data ?? []).map((s) => ({ value: s.id, label: s.id }))} />
        {extra}
        <DatePicker.RangePicker showTime value={f.range} onChange={(v) => f.setRange(v as typeof f.range)} />
        <Input.Search allowClear style={{ width: 260 }} placeholder={t('搜索文字', 'Search text')} onSearch={f.setText} />
      </Space>
    </Card>
  );
}

function CallsTab() {
  const t = useT();
  const f = useFilters();
  const [outcome, setOutcome] = useState<string[]>([]);
  const q = { scheme: f.schemes, outcome, from: f.range?.[0]?.valueOf(), to: f.range?.[1]?.valueOf(), text: f.text, limit: f.page.pageSize, offset: (f.page.current - 1) * f.page.pageSize };
  const calls = useQuery({ queryKey: ['calls', q], queryFn: () => get<{ total: number; rows: CallRow[] }>(`/api/logs/calls${qs(q)}`), refetchInterval: 5000 });
  return (
    <>
      <FilterBar
        f={f}
        extra={
          <Select
            mode="multiple"
            allowClear
            style={{ minWidth: 200 }}
            placeholder={t('结果', 'Outcome')}
            value={outcome}
            onChange={setOutcome}
            options={[
              { value: 'ok', label: t('成功', 'ok') },
              { value: 'business_error', label: t('业务错误', 'business error') },
              { value: 'transient', label: t('临时故障', 'transient') },
            ]}
          />
        }
      />
      <Table<CallRow>
        rowKey="id"
        size="small"
        data-testid="calls-table"
        loading={calls.isLoading}
        dataSource={calls.data?.rows ?? []}
        scroll={{ x: 1000 }}
        pagination={{ ...f.page, total: calls.data?.total ?? 0, onChange: (current, pageSize) => f.setPage({ current, pageSize }) }}
        expandable={{ expandedRowRender: (r) => <CallDetail id={r.id} /> }}
        columns={[
          { title: t('时间', 'When'), dataIndex: 'at', render: fmtTime, width: 170 },
          { title: t('方案', 'Scheme'), dataIndex: 'schemeId' },
          { title: 'API', dataIndex: 'api' },
          { title: t('结果', 'Outcome'), dataIndex: 'outcome', render: (o) => <Tag color={o === 'ok' ? 'success' : o === 'transient' ? 'warning' : 'error'}>{o}</Tag> },
          { title: 'HTTP', dataIndex: 'status', width: 70 },
          { title: t('耗时', 'Time'), dataIndex: 'durationMs', render: (d) => `${Math.round(d)} ms`, width: 90 },
          { title: t('数据', 'Records'), dataIndex: 'recordIds', render: (ids: number[]) => ids.length },
          { title: t('错误', 'Error'), dataIndex: 'error', ellipsis: true, render: (e) => (e ? <Typography.Text type="danger">{e}</Typography.Text> : null) },
        ]}
      />
    </>
  );
}

function CallDetail({ id }: { id: number }) {
  const t = useT();
  const call = useQuery({ queryKey: ['call', id], queryFn: () => get<CallRow & { request: unknown; response: string | null }>(`/api/logs/calls/${id}`) });
  if (!call.data) return null;
  let response: unknown = call.data.response;
  try {
    response = JSON.parse(call.data.response ?? '');
  } catch {
    /* text */
  }
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary">{call.data.url}</Typography.Text>
      {call.data.error && <Alert type="error" title={call.data.error} />}
      <div className="side-by-side">
        <div>
          <b>{t('请求（密钥已隐藏）', 'Request (secrets masked)')}</b>
          <JsonBlock value={expandJsonStrings(call.data.request)} />
        </div>
        <div>
          <b>{t('响应', 'Response')}</b>
          <JsonBlock value={response ?? ''} />
        </div>
      </div>
    </Space>
  );
}

function EventsTab() {
  const t = useT();
  const f = useFilters();
  const [kind, setKind] = useState<string[]>(['error', 'retry', 'action']);
  const q = { scheme: f.schemes, kind, from: f.range?.[0]?.valueOf(), to: f.range?.[1]?.valueOf(), text: f.text, limit: f.page.pageSize, offset: (f.page.current - 1) * f.page.pageSize };
  const events = useQuery({ queryKey: ['events', q], queryFn: () => get<{ total: number; rows: Array<{ id: number; at: number; kind: string; message: string | null; recordId: number; schemeId: string; sourceId: string; statusName: string }> }>(`/api/logs/events${qs(q)}`), refetchInterval: 5000 });
  return (
    <>
      <FilterBar
        f={f}
        extra={
          <Select
            mode="multiple"
            style={{ minWidth: 240 }}
            value={kind}
            onChange={setKind}
            options={['error', 'retry', 'action', 'intake', 'replace', 'done', 'stale', 'claim'].map((k) => ({ value: k }))}
          />
        }
      />
      <Table
        rowKey="id"
        size="small"
        data-testid="events-table"
        loading={events.isLoading}
        dataSource={events.data?.rows ?? []}
        pagination={{ ...f.page, total: events.data?.total ?? 0, onChange: (current, pageSize) => f.setPage({ current, pageSize }) }}
        columns={[
          { title: t('时间', 'When'), dataIndex: 'at', render: fmtTime, width: 170 },
          { title: t('方案', 'Scheme'), dataIndex: 'schemeId' },
          { title: t('数据', 'Record'), render: (_, e) => <a href={href(`/data?scheme=${encodeURIComponent(e.schemeId)}`)}>{e.sourceId}</a> },
          { title: t('类型', 'Kind'), dataIndex: 'kind', render: (k) => <Tag color={k === 'error' ? 'error' : k === 'retry' ? 'warning' : 'blue'}>{k}</Tag> },
          { title: t('信息', 'Message'), dataIndex: 'message' },
          { title: t('当前状态', 'Now'), dataIndex: 'statusName', render: (s) => <StatusTag status={s} /> },
        ]}
      />
    </>
  );
}

function AuditTab() {
  const t = useT();
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const audit = useQuery({ queryKey: ['audit', page], queryFn: () => get<{ total: number; rows: Array<{ id: number; at: number; actor: string; action: string; target: string | null; detail: unknown }> }>(`/api/logs/audit${qs({ limit: page.pageSize, offset: (page.current - 1) * page.pageSize })}`) });
  return (
    <Table
      rowKey="id"
      size="small"
      data-testid="audit-table"
      loading={audit.isLoading}
      dataSource={audit.data?.rows ?? []}
      pagination={{ ...page, total: audit.data?.total ?? 0, onChange: (current, pageSize) => setPage({ current, pageSize }) }}
      columns={[
        { title: t('时间', 'When'), dataIndex: 'at', render: fmtTime, width: 170 },
        { title: t('操作人', 'Who'), dataIndex: 'actor' },
        { title: t('操作', 'Action'), dataIndex: 'action', render: (a) => <Tag>{a}</Tag> },
        { title: t('对象', 'Target'), dataIndex: 'target' },
        { title: t('详情', 'Detail'), dataIndex: 'detail', render: (d) => (d ? <small className="mono">{JSON.stringify(d)}</small> : null) },
      ]}
    />
  );
}
