import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, Row, Segmented, Space, Statistic, Table, Tag } from 'antd';
import { useState } from 'react';
import { get } from '../api';
import { Chart } from '../components/Chart';
import { OriginTag, PageTitle, StatusTag } from '../components/common';
import { useT } from '../i18n';
import { href } from '../router';

interface Overview {
  schemes: Array<{
    id: string;
    name: string;
    origin: 'workspace' | 'console';
    running: boolean;
    counts: Record<string, number>;
    backlog: number;
    source: { connector: string; api: string };
    target: { connector: string; api: string };
  }>;
  connectors: Array<{ name: string; platform: string; env: string; origin: 'workspace' | 'console'; target: boolean; paused: boolean; breakerState: number }>;
  brokenSchemes: Array<{ id: string; name: string }>;
  problems: Array<{ kind: string; name: string; message: string }>;
}

interface Series {
  bucketMs: number;
  points: Array<{ t: number; intake: number; done: number; error: number; retry: number; callsOk: number; callsFailed: number }>;
}

export function useBreakerLabel() {
  const t = useT();
  return (state: number, paused: boolean) =>
    paused ? (
      <Tag color="warning">{t('已暂停', 'paused')}</Tag>
    ) : state === 0 ? (
      <Tag color="success">{t('正常', 'healthy')}</Tag>
    ) : state === 1 ? (
      <Tag color="error">{t('熔断中', 'circuit open')}</Tag>
    ) : (
      <Tag color="processing">{t('试探中', 'probing')}</Tag>
    );
}

export function DashboardPage() {
  const t = useT();
  const breaker = useBreakerLabel();
  const [range, setRange] = useState<'60' | '360' | '1440'>('60');
  const overview = useQuery({ queryKey: ['overview'], queryFn: () => get<Overview>('/api/overview'), refetchInterval: 5000 });
  const bucket = range === '60' ? 1 : range === '360' ? 5 : 30;
  const series = useQuery({ queryKey: ['series', range], queryFn: () => get<Series>(`/api/stats/series?minutes=${range}&bucket=${bucket}`), refetchInterval: 10000 });
  const o = overview.data;
  const total = (k: string) => o?.schemes.reduce((n, s) => n + (s.counts[k] ?? 0), 0) ?? 0;
  const labels = (series.data?.points ?? []).map((p) => new Date(p.t).toTimeString().slice(0, 5));
  const pts = series.data?.points ?? [];
  return (
    <div data-testid="page-dashboard">
      <PageTitle title={t('概览', 'Overview')} />
      {o?.problems.map((p) => (
        <Alert key={`${p.kind}${p.name}`} type="warning" showIcon style={{ marginBottom: 12 }} title={`${p.kind} ${p.name}: ${p.message}`} />
      ))}
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('集成方案', 'Schemes')} value={o?.schemes.length ?? 0} suffix={<small>/ {o?.schemes.filter((s) => s.running).length ?? 0} {t('运行中', 'running')}</small>} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('积压（等待+队列）', 'Backlog (pending + queued)')} value={o?.schemes.reduce((n, s) => n + s.backlog, 0) ?? 0} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('已完成', 'Done')} value={total('done')} styles={{ content: { color: '#389e0d' } }} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('错误', 'Errors')} value={total('error')} styles={{ content: { color: total('error') ? '#cf1322' : undefined } }} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card
            title={t('吞吐（条/时段）', 'Throughput (records per period)')}
            extra={
              <Segmented
                size="small"
                value={range}
                onChange={(v) => setRange(v as typeof range)}
                options={[
                  { value: '60', label: t('1 小时', '1 h') },
                  { value: '360', label: t('6 小时', '6 h') },
                  { value: '1440', label: t('24 小时', '24 h') },
                ]}
              />
            }
          >
            <Chart
              testId="chart-throughput"
              labels={labels}
              series={[
                { name: t('接收', 'received'), color: '#91caff', values: pts.map((p) => p.intake) },
                { name: t('完成', 'done'), color: '#52c41a', values: pts.map((p) => p.done) },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('错误与重试', 'Errors and retries')}>
            <Chart
              testId="chart-errors"
              labels={labels}
              series={[
                { name: t('错误', 'errors'), color: '#ff4d4f', values: pts.map((p) => p.error) },
                { name: t('重试', 'retries'), color: '#faad14', values: pts.map((p) => p.retry) },
                { name: t('失败调用', 'failed calls'), color: '#722ed1', values: pts.map((p) => p.callsFailed), kind: 'line' },
              ]}
            />
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t('方案状态', 'Schemes')}>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              loading={overview.isLoading}
              dataSource={o?.schemes ?? []}
              scroll={{ x: 900 }}
              columns={[
                { title: t('方案', 'Scheme'), render: (_, s) => <Space orientation="vertical" size={0}><a href={href(`/schemes/${s.id}`)}>{s.name}</a><small>{s.id} <OriginTag origin={s.origin} /></small></Space> },
                { title: t('运行', 'State'), render: (_, s) => (s.running ? <Tag color="green">{t('运行中', 'running')}</Tag> : <Tag>{t('已停止', 'stopped')}</Tag>) },
                { title: t('源 → 目标', 'Source → target'), render: (_, s) => `${s.source.api} → ${s.target.connector}/${s.target.api}` },
                { title: t('积压', 'Backlog'), dataIndex: 'backlog' },
                {
                  title: t('按状态', 'By status'),
                  render: (_, s) => (
                    <Space wrap size={4}>
                      {Object.entries(s.counts)
                        .filter(([, n]) => n > 0)
                        .map(([k, n]) => (
                          <a key={k} href={href(`/data?scheme=${encodeURIComponent(s.id)}&status=${k}`)}>
                            <StatusTag status={k} />
                            {n}
                          </a>
                        ))}
                    </Space>
                  ),
                },
              ]}
            />
            {o?.brokenSchemes.length ? (
              <Alert type="error" style={{ marginTop: 12 }} title={t('未运行的控制台方案（无法编译）：', 'Console schemes that do not compile: ') + o.brokenSchemes.map((b) => b.id).join(', ')} />
            ) : null}
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t('连接器健康', 'Connector health')}>
            <Table
              rowKey="name"
              size="small"
              pagination={false}
              dataSource={o?.connectors ?? []}
              columns={[
                { title: t('连接器', 'Connector'), dataIndex: 'name' },
                { title: t('平台', 'Platform'), dataIndex: 'platform' },
                { title: t('环境', 'Env'), dataIndex: 'env' },
                { title: t('来源', 'Origin'), render: (_, c) => <OriginTag origin={c.origin} /> },
                { title: t('状态', 'Health'), render: (_, c) => (c.target ? breaker(c.breakerState, c.paused) : <Tag>{t('未作为目标', 'not a target')}</Tag>) },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
