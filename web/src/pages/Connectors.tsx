import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag, Tooltip } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError, del, get, post, put } from '../api';
import { useAuth } from '../auth';
import { OriginTag, PageTitle } from '../components/common';
import { useT } from '../i18n';
import type { ConnectorInfo, PlatformInfo } from '../types';
import { useBreakerLabel } from './Dashboard';

export const usePlatforms = () => useQuery({ queryKey: ['platforms'], queryFn: () => get<{ platforms: PlatformInfo[] }>('/api/platforms').then((r) => r.platforms), staleTime: 300_000 });
export const useConnectors = () => useQuery({ queryKey: ['connectors'], queryFn: () => get<{ connectors: ConnectorInfo[] }>('/api/connectors').then((r) => r.connectors) });

export function ConnectorsPage() {
  const t = useT();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const platforms = usePlatforms();
  const connectors = useConnectors();
  const breaker = useBreakerLabel();
  const [editing, setEditing] = useState<ConnectorInfo | 'new' | null>(null);
  const [results, setResults] = useState<Record<string, { ok: boolean; message: string }>>({});
  const test = useMutation({
    mutationFn: (name: string) => post<{ ok: boolean; message: string }>(`/api/connectors/${encodeURIComponent(name)}/test`),
    onSuccess: (r, name) => setResults((x) => ({ ...x, [name]: r })),
    onError: (e: ApiError, name) => setResults((x) => ({ ...x, [name]: { ok: false, message: e.message } })),
  });
  const pause = useMutation({
    mutationFn: ({ name, action }: { name: string; action: 'pause' | 'resume' }) => post(`/api/connectors/${encodeURIComponent(name)}/${action}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['connectors'] }),
    onError: (e: ApiError) => message.error(e.message),
  });
  const remove = useMutation({
    mutationFn: (name: string) => del(`/api/connectors/${encodeURIComponent(name)}`),
    onSuccess: () => {
      message.success(t('已删除', 'Deleted'));
      void qc.invalidateQueries({ queryKey: ['connectors'] });
    },
    onError: (e: ApiError) => message.error(e.message),
  });
  return (
    <div data-testid="page-connectors">
      <PageTitle
        title={t('连接器', 'Connectors')}
        extra={
          can('admin') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="connector-new">
              {t('新建连接器', 'New connector')}
            </Button>
          )
        }
      />
      <Table
        rowKey="name"
        loading={connectors.isLoading}
        dataSource={connectors.data ?? []}
        pagination={false}
        tableLayout="fixed"
        scroll={{ x: 1000 }}
        columns={[
          { title: t('名称', 'Name'), dataIndex: 'name', width: 170, render: (n, c) => <Space orientation="vertical" size={0}><b>{n}</b><OriginTag origin={c.origin} /></Space> },
          { title: t('平台', 'Platform'), width: 120, render: (_, c) => c.platformLabel },
          { title: t('环境', 'Env'), dataIndex: 'env', width: 100, render: (e) => <Tag color={e === 'production' ? 'red' : 'cyan'}>{e}</Tag> },
          {
            title: t('参数', 'Params'),
            render: (_, c) => (
              <div className="mono" style={{ fontSize: 12, lineHeight: 1.6 }}>
                {Object.entries(c.params).map(([k, v]) => (
                  <div key={k} style={{ wordBreak: 'break-all' }}>
                    <span style={{ color: '#888' }}>{k}</span> {typeof v === 'string' ? v : JSON.stringify(v)}
                  </div>
                ))}
              </div>
            ),
          },
          { title: t('状态', 'Health'), width: 80, render: (_, c) => breaker(c.breakerState, c.paused) },
          { title: t('使用方案', 'Used by'), width: 110, render: (_, c) => c.usedBy.join(', ') || '-' },
          {
            title: t('操作', 'Actions'),
            width: 200,
            render: (_, c) => (
              <Space size={4} wrap>
                {results[c.name] && (
                  <Tag color={results[c.name]!.ok ? 'success' : 'error'} data-testid={`test-result-${c.name}`} style={{ whiteSpace: 'normal' }}>
                    {results[c.name]!.ok ? t('成功', 'OK') : t('失败', 'failed')}: {results[c.name]!.message}
                  </Tag>
                )}
                {can('operator') && (
                  <Button size="small" loading={test.isPending && test.variables === c.name} onClick={() => test.mutate(c.name)} data-testid={`connector-test-${c.name}`}>
                    {t('测试连接', 'Test')}
                  </Button>
                )}
                {can('admin') && (
                  <Tooltip title={c.readOnly ? t('工作区文件中定义，请修改文件', 'Defined in a workspace file; edit the file') : undefined}>
                    <Button size="small" disabled={c.readOnly} onClick={() => setEditing(c)}>
                      {t('编辑', 'Edit')}
                    </Button>
                  </Tooltip>
                )}
                {can('operator') && c.usedBy.length > 0 && (
                  <Button size="small" onClick={() => pause.mutate({ name: c.name, action: c.paused ? 'resume' : 'pause' })}>
                    {c.paused ? t('恢复', 'Resume') : t('暂停', 'Pause')}
                  </Button>
                )}
                {can('admin') && !c.readOnly && (
                  <Popconfirm title={t('删除这个连接器？', 'Delete this connector?')} onConfirm={() => remove.mutate(c.name)}>
                    <Button size="small" danger disabled={c.usedBy.length > 0}>
                      {t('删除', 'Delete')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {editing && platforms.data && (
        <ConnectorModal
          platforms={platforms.data}
          initial={editing === 'new' ? undefined : editing}
          onClose={(changed) => {
            setEditing(null);
            if (changed) void qc.invalidateQueries({ queryKey: ['connectors'] });
          }}
        />
      )}
    </div>
  );
}

function ConnectorModal({ platforms, initial, onClose }: { platforms: PlatformInfo[]; initial?: ConnectorInfo; onClose(changed: boolean): void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm();
  const platformName = Form.useWatch('platform', form) as string | undefined;
  const platform = platforms.find((p) => p.name === platformName);
  const [testResult, setTestResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [issues, setIssues] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (initial)
      form.setFieldsValue({
        name: initial.name,
        platform: initial.platform,
        env: initial.env,
        params: Object.fromEntries(Object.entries(initial.params).map(([k, v]) => [k, v === '***' ? undefined : v])),
        limits: initial.limits ?? {},
      });
  }, [initial, form]);
  const body = () => {
    const v = form.getFieldsValue(true) as { name: string; platform: string; env: string; params?: Record<string, unknown>; limits?: Record<string, number | null> };
    const limits = Object.fromEntries(Object.entries(v.limits ?? {}).filter(([, x]) => x !== null && x !== undefined));
    const params = Object.fromEntries(Object.entries(v.params ?? {}).filter(([, x]) => x !== undefined && x !== null && x !== ''));
    return { name: v.name, platform: v.platform, env: v.env, params, ...(Object.keys(limits).length ? { limits } : {}) };
  };
  const showError = (e: unknown) => {
    const err = e as ApiError;
    setIssues(err.issues?.length ? err.issues.map((i) => `${i.path}: ${i.message}`) : [err.message]);
  };
  const doTest = async () => {
    setTestResult(null);
    setIssues([]);
    try {
      setTestResult(await post('/api/connectors/test', body()));
    } catch (e) {
      showError(e);
    }
  };
  const save = async () => {
    await form.validateFields();
    setBusy(true);
    setIssues([]);
    try {
      if (initial) await put(`/api/connectors/${encodeURIComponent(initial.name)}`, body());
      else await post('/api/connectors', body());
      message.success(t('已保存', 'Saved'));
      onClose(true);
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      width={640}
      title={initial ? t(`编辑连接器 ${initial.name}`, `Edit connector ${initial.name}`) : t('新建连接器', 'New connector')}
      onCancel={() => onClose(false)}
      footer={[
        <Button key="test" onClick={doTest} data-testid="connector-form-test">
          {t('测试连接', 'Test connection')}
        </Button>,
        <Button key="cancel" onClick={() => onClose(false)}>
          {t('取消', 'Cancel')}
        </Button>,
        <Button key="save" type="primary" loading={busy} onClick={save} data-testid="connector-form-save">
          {t('保存', 'Save')}
        </Button>,
      ]}
    >
      <Form form={form} layout="vertical" initialValues={{ env: 'sandbox' }}>
        <Form.Item name="name" label={t('名称', 'Name')} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, message: t('字母、数字、_ 或 -', 'letters, digits, _ or -') }]}>
          <Input disabled={Boolean(initial)} data-testid="connector-name" />
        </Form.Item>
        <Space.Compact block>
          <Form.Item name="platform" label={t('平台', 'Platform')} rules={[{ required: true }]} style={{ width: '60%' }}>
            <Select
              disabled={Boolean(initial?.usedBy.length)}
              data-testid="connector-platform"
              options={platforms.map((p) => ({ value: p.name, label: `${p.label} (${p.name})` }))}
              onChange={(p) => form.setFieldValue('env', Object.keys(platforms.find((x) => x.name === p)?.envs ?? {})[0])}
            />
          </Form.Item>
          <Form.Item name="env" label={t('环境', 'Environment')} rules={[{ required: true }]} style={{ width: '40%' }}>
            <Select data-testid="connector-env" options={Object.entries(platform?.envs ?? {}).map(([k, v]) => ({ value: k, label: v.baseUrl ? `${k} (${v.baseUrl})` : k }))} />
          </Form.Item>
        </Space.Compact>
        {platform?.params.map((p) => (
          <Form.Item
            key={p.name}
            name={['params', p.name]}
            label={`${p.label} (${p.name})`}
            tooltip={p.describe}
            extra={p.secret && initial?.secretsSet.includes(p.name) ? t('已设置；留空保持不变（密钥只写，不会显示）', 'Set; leave empty to keep it (write-only, never shown)') : undefined}
            rules={[{ required: p.required && !(p.secret && initial?.secretsSet.includes(p.name)), message: t('必填', 'required') }]}
          >
            {p.secret ? <Input.Password autoComplete="new-password" data-testid={`param-${p.name}`} /> : p.type === 'int' ? <InputNumber style={{ width: '100%' }} data-testid={`param-${p.name}`} /> : <Input data-testid={`param-${p.name}`} />}
          </Form.Item>
        ))}
        {platform && platform.params.length > 0 && (
          <Space.Compact block>
            <Form.Item name={['limits', 'qps']} label={t('每秒调用上限 (QPS)', 'Calls per second (QPS)')} style={{ width: '50%' }}>
              <InputNumber min={0.1} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name={['limits', 'concurrency']} label={t('并发上限', 'Max calls in flight')} style={{ width: '50%' }}>
              <InputNumber min={1} style={{ width: '100%' }} />
            </Form.Item>
          </Space.Compact>
        )}
        {platform?.params.length === 0 && <Alert type="info" title={t('此平台无需参数', 'This platform needs no params')} />}
      </Form>
      {testResult && (
        <Alert type={testResult.ok ? 'success' : 'error'} title={testResult.message} data-testid="connector-form-test-result" style={{ marginTop: 8 }} />
      )}
      {issues.length > 0 && <Alert type="error" title={issues.join('; ')} style={{ marginTop: 8 }} data-testid="connector-form-error" />}
    </Modal>
  );
}
