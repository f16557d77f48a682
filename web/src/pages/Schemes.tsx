import { ImportOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Checkbox, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { ApiError, del, get, post, qs } from '../api';
import { useAuth } from '../auth';
import { OriginTag, PageTitle, StatusTag } from '../components/common';
import { useT } from '../i18n';
import { href, navigate } from '../router';
import type { SchemeListItem } from '../types';
import { useConnectors } from './Connectors';

export const useSchemes = () => useQuery({ queryKey: ['schemes'], queryFn: () => get<{ schemes: SchemeListItem[] }>('/api/schemes').then((r) => r.schemes), refetchInterval: 5000 });

export function useStartStop() {
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const t = useT();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'start' | 'stop' }) => post(`/api/schemes/${encodeURIComponent(id)}/${action}`),
    onSuccess: (_r, v) => {
      message.success(v.action === 'start' ? t('方案已启动', 'Scheme started') : t('方案已停止', 'Scheme stopped'));
      void qc.invalidateQueries({ queryKey: ['schemes'] });
      void qc.invalidateQueries({ queryKey: ['scheme', v.id] });
    },
    onError: (e: ApiError) => message.error(e.message),
  });
}

export function SchemesPage() {
  const t = useT();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const schemes = useSchemes();
  const startStop = useStartStop();
  const [importing, setImporting] = useState(false);
  const remove = useMutation({
    mutationFn: (id: string) => del(`/api/schemes/${encodeURIComponent(id)}`),
    onSuccess: () => {
      message.success(t('已删除', 'Deleted'));
      void qc.invalidateQueries({ queryKey: ['schemes'] });
    },
    onError: (e: ApiError) => message.error(e.message),
  });
  return (
    <div data-testid="page-schemes">
      <PageTitle
        title={t('集成方案', 'Integration schemes')}
        extra={
          can('admin') && (
            <Space>
              <Button icon={<ImportOutlined />} onClick={() => setImporting(true)} data-testid="scheme-import">
                {t('导入', 'Import')}
              </Button>
              <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/schemes/new')} data-testid="scheme-new">
                {t('新建方案', 'New scheme')}
              </Button>
            </Space>
          )
        }
      />
      <Table
        rowKey="id"
        loading={schemes.isLoading}
        dataSource={schemes.data ?? []}
        pagination={false}
        scroll={{ x: 1000 }}
        columns={[
          {
            title: t('方案', 'Scheme'),
            render: (_, s) => (
              <Space orientation="vertical" size={0}>
                <a href={href(`/schemes/${s.id}`)} data-testid={`scheme-link-${s.id}`}>
                  {s.name}
                </a>
                <small>
                  {s.id} <OriginTag origin={s.origin} />
                </small>
              </Space>
            ),
          },
          { title: t('源', 'Source'), render: (_, s) => `${s.source.connector} / ${s.source.api}` },
          { title: t('目标', 'Target'), render: (_, s) => `${s.target.connector} / ${s.target.api}` },
          {
            title: t('状态', 'State'),
            render: (_, s) => (s.running ? <Tag color="green" data-testid={`scheme-state-${s.id}`}>{t('运行中', 'running')}</Tag> : <Tag data-testid={`scheme-state-${s.id}`}>{t('已停止', 'stopped')}</Tag>),
          },
          {
            title: t('数据', 'Records'),
            render: (_, s) => (
              <Space wrap size={4}>
                {Object.entries(s.counts)
                  .filter(([, n]) => n > 0)
                  .map(([k, n]) => (
                    <span key={k}>
                      <StatusTag status={k} />
                      {n}
                    </span>
                  ))}
              </Space>
            ),
          },
          {
            title: t('操作', 'Actions'),
            fixed: 'right',
            render: (_, s) => (
              <Space size={4} wrap>
                <Button size="small" onClick={() => navigate(`/schemes/${s.id}`)}>
                  {s.origin === 'workspace' || !can('admin') ? t('查看', 'View') : t('编辑', 'Edit')}
                </Button>
                {can('operator') &&
                  (s.running ? (
                    <Button size="small" onClick={() => startStop.mutate({ id: s.id, action: 'stop' })}>
                      {t('停止', 'Stop')}
                    </Button>
                  ) : (
                    <Button size="small" type="primary" ghost onClick={() => startStop.mutate({ id: s.id, action: 'start' })} data-testid={`scheme-start-${s.id}`}>
                      {t('启动', 'Start')}
                    </Button>
                  ))}
                <Button size="small" onClick={() => navigate(`/data?scheme=${encodeURIComponent(s.id)}`)}>
                  {t('数据', 'Data')}
                </Button>
                {s.source.api === 'OpenCallback' && (
                  <Button size="small" onClick={() => navigate(`/push?scheme=${encodeURIComponent(s.id)}`)}>
                    {t('推送帮助', 'Push help')}
                  </Button>
                )}
                <Button size="small" href={`/api/schemes/${encodeURIComponent(s.id)}/export?download=true`}>
                  {t('导出', 'Export')}
                </Button>
                {can('admin') && (
                  <Button size="small" onClick={() => navigate(`/schemes/new?copy=${encodeURIComponent(s.id)}`)}>
                    {t('复制', 'Copy')}
                  </Button>
                )}
                {can('admin') && s.origin === 'console' && (
                  <Popconfirm title={t('删除方案？数据记录会保留。', 'Delete the scheme? Its records stay.')} onConfirm={() => remove.mutate(s.id)}>
                    <Button size="small" danger disabled={s.running}>
                      {t('删除', 'Delete')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {importing && <ImportModal onClose={() => setImporting(false)} />}
    </div>
  );
}

function ImportModal({ onClose }: { onClose(): void }) {
  const t = useT();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const connectors = useConnectors();
  const [text, setText] = useState('');
  const [replace, setReplace] = useState(false);
  const [conns, setConns] = useState<{ sourceConnector?: string; targetConnector?: string }>({});
  const [error, setError] = useState<string[]>([]);
  const doImport = async () => {
    setError([]);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      setError([t('不是有效的 JSON：', 'Not valid JSON: ') + (e as Error).message]);
      return;
    }
    try {
      const r = await post<{ id: string }>(`/api/schemes/import${qs({ replace: replace || undefined, ...conns })}`, body);
      message.success(t('已导入', 'Imported'));
      void qc.invalidateQueries({ queryKey: ['schemes'] });
      onClose();
      navigate(`/schemes/${r.id}`);
    } catch (e) {
      const err = e as ApiError;
      setError([err.message, ...err.issues.map((i) => `${i.path}: ${i.message}`)]);
    }
  };
  const opts = (connectors.data ?? []).map((c) => ({ value: c.name, label: `${c.name} (${c.platformLabel})` }));
  return (
    <Modal open width={760} title={t('导入方案', 'Import a scheme')} onCancel={onClose} onOk={doImport} okText={t('导入', 'Import')}>
      <p>
        {t(
          '粘贴方案 JSON（与工作区 schemes/<id>.json 相同），或 {id, name, source, target} 其中 source/target 为轻易云元数据（此时选择连接器）。',
          'Paste a scheme file (as in schemes/<id>.json), or {id, name, source, target} where source/target are QEasy metadata documents (then pick their connectors).',
        )}
      </p>
      <Input.TextArea className="mono" rows={14} value={text} onChange={(e) => setText(e.target.value)} data-testid="import-text" />
      <Form layout="inline" style={{ marginTop: 12 }}>
        <Form.Item label={t('源连接器', 'Source connector')}>
          <Select allowClear style={{ width: 200 }} options={opts} onChange={(v) => setConns((c) => ({ ...c, sourceConnector: v }))} />
        </Form.Item>
        <Form.Item label={t('目标连接器', 'Target connector')}>
          <Select allowClear style={{ width: 200 }} options={opts} onChange={(v) => setConns((c) => ({ ...c, targetConnector: v }))} />
        </Form.Item>
        <Form.Item>
          <Checkbox checked={replace} onChange={(e) => setReplace(e.target.checked)}>
            {t('已存在则保存为新版本', 'Save as a new version if it exists')}
          </Checkbox>
        </Form.Item>
      </Form>
      {error.length > 0 && <Alert type="error" style={{ marginTop: 12 }} title={error[0]} description={error.slice(1).map((x) => <div key={x}>{x}</div>)} />}
    </Modal>
  );
}
