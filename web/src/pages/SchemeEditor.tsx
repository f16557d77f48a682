/**
 * 集成方案 editor: pick the source and target APIs from the platforms' catalogues, see both field tables side by side,
 * map target fields (mapping editor), switch each side between form and JSON (QEasy metadata) without losing edits,
 * preview on samples, save as a new version, start/stop, browse versions with their diff.
 */
import { BulbOutlined, CopyOutlined, ExperimentOutlined, HistoryOutlined, SaveOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Collapse,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, get, post, put, type Issue } from '../api';
import { useAuth } from '../auth';
import { JsonBlock, OriginTag, PageTitle, fmtTime } from '../components/common';
import { FieldTable } from '../components/FieldTable';
import { MappingEditor } from '../components/MappingEditor';
import { useT } from '../i18n';
import { exampleOf, flattenParams, isArrayParam, setRule, toMetaParam } from '../lib/params';
import { navigate } from '../router';
import type { ApiSpec, MetaParam, MetadataDoc, SchemeDef } from '../types';
import { useConnectors, usePlatforms } from './Connectors';
import { useStartStop } from './Schemes';

interface SchemeInfo {
  id: string;
  scheme: SchemeDef;
  origin: 'workspace' | 'console';
  readOnly: boolean;
  version: number | null;
  running: boolean;
  enabled: boolean;
  compiled: boolean;
  problems: string[];
  counts: Record<string, number>;
}

interface PreviewResult {
  calls: Array<{ call: Record<string, unknown>; items: Record<string, unknown>[]; recordIds: string[] }>;
  errors: Array<{ index: number; id?: string; issues?: Issue[]; message?: string; field?: string; expression?: string }>;
  skipped: Array<{ index: number; id?: string; reason: string }>;
  warnings: Issue[];
}

const emptyDraft = (): SchemeDef => ({
  id: '',
  name: '',
  enabled: false,
  source: { connector: '', metadata: { api: '' } },
  target: { connector: '', metadata: { api: '' } },
  options: { batchSize: 50, maxRetries: 5 },
});

const sourceListKey = (md: MetadataDoc): 'request' | 'response' => (md.api === 'OpenCallback' || !md.response ? 'request' : 'response');

function parseSamples(text: string): unknown[] {
  const v = JSON.parse(text) as unknown;
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object' && Array.isArray((v as { content?: unknown }).content)) return (v as { content: unknown[] }).content;
  return [v];
}

export function SchemeEditorPage({ id, copyOf }: { id?: string; copyOf?: string }) {
  const t = useT();
  const { can } = useAuth();
  const { message, modal } = AntApp.useApp();
  const qc = useQueryClient();
  const platforms = usePlatforms();
  const connectors = useConnectors();
  const startStop = useStartStop();
  const loadId = id ?? copyOf;
  const info = useQuery({ queryKey: ['scheme', loadId], queryFn: () => get<SchemeInfo>(`/api/schemes/${encodeURIComponent(loadId!)}`), enabled: Boolean(loadId) });
  const maps = useQuery({ queryKey: ['maps'], queryFn: () => get<{ maps: Array<{ name: string }> }>('/api/maps').then((r) => r.maps.map((m) => m.name)) });
  const [draft, setDraft] = useState<SchemeDef | null>(id || copyOf ? null : emptyDraft());
  const [version, setVersion] = useState<number | null>(null);
  const [dirty, setDirty] = useState(false);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [warnings, setWarnings] = useState<Issue[]>([]);
  const [checkedOk, setCheckedOk] = useState(false);
  const [specs, setSpecs] = useState<{ source?: ApiSpec; target?: ApiSpec }>({});
  const [sample, setSample] = useState('');
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [previewError, setPreviewError] = useState<ApiError | null>(null);
  const [inferOpen, setInferOpen] = useState(false);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const previewRef = useRef<HTMLDivElement>(null);

  const isNew = !id;
  const readOnly = !can('admin') || (!isNew && (info.data?.readOnly ?? true));

  // Load the scheme (or the one to copy) once.
  useEffect(() => {
    if (!info.data || draft) return;
    const s = structuredClone(info.data.scheme);
    if (copyOf) {
      s.id = `${s.id}-copy`;
      s.name = `${s.name} (${t('副本', 'copy')})`;
      s.enabled = false;
    } else setVersion(info.data.version);
    setDraft(s);
  }, [info.data, draft, copyOf, t]);

  const platformOf = (connector: string) => connectors.data?.find((c) => c.name === connector)?.platform;

  // Catalogue specs for the chosen APIs (field descriptions, defaults).
  useEffect(() => {
    if (!draft || !connectors.data) return;
    for (const side of ['source', 'target'] as const) {
      const api = draft[side].metadata.api;
      const platform = platformOf(draft[side].connector);
      if (!api || !platform || specs[side]?.name === api) continue;
      get<ApiSpec>(`/api/platforms/${platform}/apis/${encodeURIComponent(api)}`)
        .then((spec) => setSpecs((s) => ({ ...s, [side]: spec })))
        .catch(() => undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft?.source.metadata.api, draft?.target.metadata.api, draft?.source.connector, draft?.target.connector, connectors.data]);

  const change = (fn: (d: SchemeDef) => SchemeDef) => {
    setDraft((d) => (d ? fn(d) : d));
    setDirty(true);
    setCheckedOk(false);
  };
  const setMeta = (side: 'source' | 'target', md: MetadataDoc) => change((d) => ({ ...d, [side]: { ...d[side], metadata: md } }));

  const docs = useMemo(() => {
    const m = new Map<string, string>();
    const s = specs.target;
    if (s) {
      for (const r of flattenParams(s.request, 'request')) if (r.param.describe) m.set(`request.${r.path}`, String(r.param.describe));
      for (const r of flattenParams(s.otherRequest, 'otherRequest')) if (r.param.describe) m.set(`otherRequest.${r.path}`, String(r.param.describe));
    }
    return m;
  }, [specs.target]);

  if (!draft || !platforms.data || !connectors.data)
    return info.error ? <Alert type="error" title={(info.error as ApiError).message} /> : <Spin />;

  const sourceMd = draft.source.metadata;
  const targetMd = draft.target.metadata;
  const srcKey = sourceListKey(sourceMd);
  const sourceFields = (sourceMd[srcKey] as MetaParam[] | undefined) ?? [];
  const connectorOptions = (dir: 'source' | 'target') =>
    connectors.data!
      .filter((c) => {
        const p = platforms.data!.find((x) => x.name === c.platform);
        return p?.apis.some((a) => (dir === 'target' ? a.direction === 'write' : a.direction !== 'write'));
      })
      .map((c) => ({ value: c.name, label: `${c.name} · ${c.platformLabel} · ${c.env}` }));
  const apiOptions = (side: 'source' | 'target') => {
    const p = platforms.data!.find((x) => x.name === platformOf(draft[side].connector));
    return (p?.apis ?? [])
      .filter((a) => (side === 'target' ? a.direction === 'write' : a.direction !== 'write'))
      .map((a) => ({ value: a.name, label: `${a.label} (${a.name})` }));
  };

  const chooseApi = async (side: 'source' | 'target', api: string) => {
    const platform = platformOf(draft[side].connector);
    if (!platform) return;
    const spec = await get<ApiSpec>(`/api/platforms/${platform}/apis/${encodeURIComponent(api)}`);
    setSpecs((s) => ({ ...s, [side]: spec }));
    if (side === 'source') {
      const md: MetadataDoc =
        spec.direction === 'push'
          ? { api, type: 'QUERY', method: 'POST', id: '', number: '', idCheck: true, request: [] }
          : { api, type: 'QUERY', method: 'POST', id: '', number: '', idCheck: true, request: spec.request.map(toMetaParam), response: (spec.response ?? []).map(toMetaParam) };
      setMeta('source', md);
    } else {
      setMeta('target', { api, type: 'WRITE', method: 'POST', request: spec.request.map(toMetaParam), otherRequest: (spec.otherRequest ?? []).map(toMetaParam) });
    }
  };

  const confirmReplace = (side: 'source' | 'target', api: string) => {
    const md = draft[side].metadata;
    const hasFields = (md.request?.length ?? 0) + (md.response?.length ?? 0) > 0;
    if (!hasFields || md.api === api) return void chooseApi(side, api);
    modal.confirm({ title: t('更换接口会替换这一侧的字段，继续？', 'Changing the API replaces this side’s fields. Continue?'), onOk: () => chooseApi(side, api) });
  };

  const suggest = async () => {
    try {
      const [a, b] = await Promise.all([
        post<{ suggestions: Array<{ target: string; source: string; score: number }> }>('/api/mapping/suggest', { target: targetMd.request ?? [], source: sourceFields }),
        post<{ suggestions: Array<{ target: string; source: string; score: number }> }>('/api/mapping/suggest', { target: targetMd.otherRequest ?? [], source: sourceFields }),
      ]);
      let n = 0;
      const apply = (list: MetaParam[], name: 'request' | 'otherRequest', sug: Array<{ target: string; source: string }>) => {
        let out = list;
        const rows = flattenParams(list, name);
        for (const s of sug) {
          const row = rows.find((r) => r.path === s.target);
          if (!row) continue;
          const v = row.param.value;
          const unset = (v === undefined || v === null || v === '') && !String(row.param.describe ?? '').includes('_autoFillResponse');
          if (!unset) continue;
          n++;
          const update = (p: MetaParam) => setRule(p, isArrayParam(p) ? 'array' : 'field', s.source);
          out = replaceAt(out, row.indexes, update);
        }
        return out;
      };
      const request = apply(targetMd.request ?? [], 'request', a.suggestions);
      const otherRequest = apply(targetMd.otherRequest ?? [], 'otherRequest', b.suggestions);
      setMeta('target', { ...targetMd, request, otherRequest });
      message.success(t(`已按字段名/中文名匹配 ${n} 个字段`, `${n} field(s) matched by name / label`));
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };

  const showIssues = (e: unknown) => {
    const err = e as ApiError;
    setIssues(err.issues?.length ? err.issues : [{ path: '', message: err.message }]);
  };

  const validate = async () => {
    const r = await post<{ ok: boolean; issues: Issue[]; warnings: Issue[] }>('/api/schemes/validate', draft);
    setIssues(r.issues);
    setWarnings(r.warnings);
    setCheckedOk(r.ok);
    if (r.ok) message.success(t('校验通过', 'No problems found'));
  };

  const save = async () => {
    setSaving(true);
    setIssues([]);
    try {
      const r = isNew
        ? await post<SchemeInfo & { warnings: Issue[] }>('/api/schemes', draft)
        : await put<SchemeInfo & { warnings: Issue[] }>(`/api/schemes/${encodeURIComponent(id!)}${version ? `?version=${version}` : ''}`, draft);
      setWarnings(r.warnings ?? []);
      setVersion(r.version);
      setDirty(false);
      message.success(t(`已保存（版本 ${r.version}）`, `Saved (version ${r.version})`));
      void qc.invalidateQueries({ queryKey: ['schemes'] });
      void qc.invalidateQueries({ queryKey: ['scheme', r.id] });
      if (isNew) navigate(`/schemes/${r.id}`);
    } catch (e) {
      showIssues(e);
    } finally {
      setSaving(false);
    }
  };

  const runPreview = async () => {
    setPreview(null);
    setPreviewError(null);
    let samples: unknown[];
    try {
      samples = parseSamples(sample || JSON.stringify(exampleOf(sourceFields)));
    } catch (e) {
      setPreviewError(new ApiError(400, 'bad_request', t('样例不是有效的 JSON：', 'The sample is not valid JSON: ') + (e as Error).message));
      return;
    }
    try {
      setPreview(await post<PreviewResult>('/api/schemes/preview', { scheme: draft, samples }));
    } catch (e) {
      setPreviewError(e as ApiError);
    }
    previewRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  const running = info.data?.running && !isNew && !copyOf;
  const batchParam = specs.target?.batch?.param ?? 'items';
  const title = isNew ? (copyOf ? t('复制方案', 'Copy scheme') : t('新建集成方案', 'New integration scheme')) : draft.name || draft.id;

  return (
    <div data-testid="page-scheme-editor">
      <PageTitle
        title={
          <Space>
            {title}
            {!isNew && info.data && <OriginTag origin={info.data.origin} />}
            {!isNew && (running ? <Tag color="green">{t('运行中', 'running')}</Tag> : <Tag>{t('已停止', 'stopped')}</Tag>)}
            {version && <Tag>v{version}</Tag>}
            {dirty && <Tag color="orange">{t('未保存', 'unsaved')}</Tag>}
          </Space>
        }
        extra={
          <Space wrap>
            <Button icon={<SafetyCertificateOutlined />} onClick={validate} data-testid="scheme-validate">
              {t('校验', 'Validate')}
            </Button>
            <Button icon={<ExperimentOutlined />} onClick={runPreview} data-testid="scheme-preview">
              {t('预览', 'Preview')}
            </Button>
            {!readOnly && (
              <Button type="primary" icon={<SaveOutlined />} loading={saving} onClick={save} data-testid="scheme-save">
                {t('保存', 'Save')}
              </Button>
            )}
            {!isNew && can('operator') && (
              <Button
                data-testid="scheme-startstop"
                disabled={dirty}
                onClick={() => startStop.mutate({ id: id!, action: running ? 'stop' : 'start' }, { onSuccess: () => void info.refetch() })}
              >
                {running ? t('停止', 'Stop') : t('启动', 'Start')}
              </Button>
            )}
            {!isNew && can('operator') && (
              <Button
                data-testid="scheme-run"
                disabled={dirty}
                onClick={async () => {
                  try {
                    await post(`/api/schemes/${encodeURIComponent(id!)}/run`, {});
                    message.success(t('已触发执行', 'Run started'));
                  } catch (e) {
                    message.error((e as ApiError).message);
                  }
                }}
              >
                {t('立即执行', 'Run now')}
              </Button>
            )}
            {!isNew && info.data?.origin === 'console' && (
              <Button icon={<HistoryOutlined />} onClick={() => setHistoryOpen(true)} data-testid="scheme-history">
                {t('版本历史', 'History')}
              </Button>
            )}
            {!isNew && readOnly && can('admin') && (
              <Button icon={<CopyOutlined />} onClick={() => navigate(`/schemes/new?copy=${encodeURIComponent(id!)}`)}>
                {t('复制为控制台方案', 'Copy into a console scheme')}
              </Button>
            )}
            {!isNew && sourceMd.api === 'OpenCallback' && <Button onClick={() => navigate(`/push?scheme=${encodeURIComponent(id!)}`)}>{t('推送帮助', 'Push help')}</Button>}
          </Space>
        }
      />
      {!isNew && info.data?.origin === 'workspace' && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={t(`此方案来自工作区文件 schemes/${id}.json，在控制台中只读（可启动/停止）。修改请编辑文件，或复制为控制台方案。`, `This scheme comes from the workspace file schemes/${id}.json and is read-only here (start/stop still work). Edit the file, or copy it into a console scheme.`)}
        />
      )}
      {info.data?.problems.map((p) => <Alert key={p} type="error" title={p} style={{ marginBottom: 12 }} />)}
      {issues.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="scheme-issues"
          title={t(`发现 ${issues.length} 个问题`, `${issues.length} problem(s)`)}
          description={
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {issues.map((i, k) => (
                <li key={k}>
                  <code>{i.path}</code> {i.message}
                </li>
              ))}
            </ul>
          }
        />
      )}
      {checkedOk && !issues.length && <Alert type="success" showIcon style={{ marginBottom: 16 }} title={t('校验通过', 'No problems found')} data-testid="scheme-valid" />}
      {warnings.length > 0 && (
        <Alert type="warning" style={{ marginBottom: 16 }} title={t('提示', 'Remarks')} description={warnings.map((w, k) => <div key={k}><code>{w.path}</code> {w.message}</div>)} />
      )}

      <Card title={t('基本信息', 'Basics')} size="small" style={{ marginBottom: 16 }}>
        <Form layout="inline" disabled={readOnly} style={{ rowGap: 8 }}>
          <Form.Item label={t('方案 ID', 'Scheme id')} tooltip={t('推送地址的一部分，创建后不可修改', 'Part of the push URL; fixed once created')}>
            <Input value={draft.id} disabled={!isNew || readOnly} onChange={(e) => change((d) => ({ ...d, id: e.target.value.trim() }))} style={{ width: 180 }} data-testid="scheme-id" />
          </Form.Item>
          <Form.Item label={t('名称', 'Name')}>
            <Input value={draft.name} onChange={(e) => change((d) => ({ ...d, name: e.target.value }))} style={{ width: 320 }} data-testid="scheme-name" />
          </Form.Item>
          <Form.Item label={t('每批条数', 'Batch size')}>
            <InputNumber min={1} value={draft.options?.batchSize as number | undefined} onChange={(v) => change((d) => ({ ...d, options: { ...d.options, batchSize: v ?? undefined } }))} />
          </Form.Item>
          <Form.Item label={t('重试次数', 'Retries')}>
            <InputNumber min={0} value={draft.options?.maxRetries as number | undefined} onChange={(v) => change((d) => ({ ...d, options: { ...d.options, maxRetries: v ?? undefined } }))} />
          </Form.Item>
          <Form.Item label={t('重试间隔(秒)', 'Retry ladder (s)')}>
            <Input
              style={{ width: 200 }}
              placeholder="20,300,3600,14400,72000"
              defaultValue={((draft.options?.retryLadder as number[] | undefined) ?? []).join(',')}
              onBlur={(e) => {
                const list = e.target.value.split(/[,，\s]+/).filter(Boolean).map(Number);
                change((d) => {
                  const o = { ...d.options };
                  if (list.length) o.retryLadder = list;
                  else delete o.retryLadder;
                  return { ...d, options: o };
                });
              }}
            />
          </Form.Item>
        </Form>
      </Card>

      <div className="side-by-side">
        <Card
          size="small"
          data-testid="source-card"
          title={t('源平台 · 调用请求 API', 'Source · request API')}
          extra={
            sourceMd.api === 'OpenCallback' &&
            !readOnly && (
              <Button size="small" icon={<BulbOutlined />} onClick={() => setInferOpen(true)} data-testid="infer-open">
                {t('从样例生成字段', 'Fields from a sample')}
              </Button>
            )
          }
        >
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Space.Compact block>
              <Select
                style={{ width: '50%' }}
                disabled={readOnly}
                placeholder={t('源连接器', 'Source connector')}
                value={draft.source.connector || undefined}
                options={connectorOptions('source')}
                onChange={(v) => change((d) => ({ ...d, source: { ...d.source, connector: v, metadata: { api: '' } } }))}
                data-testid="source-connector"
              />
              <Select
                style={{ width: '50%' }}
                disabled={readOnly || !draft.source.connector}
                placeholder={t('接口', 'API')}
                value={sourceMd.api || undefined}
                options={apiOptions('source')}
                onChange={(v) => confirmReplace('source', v)}
                data-testid="source-api"
                showSearch
              />
            </Space.Compact>
            {sourceMd.api && (
              <Space wrap>
                <span>{t('主键字段', 'Id field')}</span>
                <Select
                  size="small"
                  style={{ width: 150 }}
                  disabled={readOnly}
                  value={sourceMd.id || undefined}
                  options={flattenParams(sourceFields, 'request').filter((r) => r.depth === 0).map((r) => ({ value: r.path }))}
                  onChange={(v) => setMeta('source', { ...sourceMd, id: v, number: sourceMd.number || v })}
                  data-testid="source-id-field"
                />
                <span>{t('单据编号', 'Number')}</span>
                <Select
                  size="small"
                  style={{ width: 150 }}
                  disabled={readOnly}
                  value={sourceMd.number || undefined}
                  options={flattenParams(sourceFields, 'request').filter((r) => r.depth === 0).map((r) => ({ value: r.path }))}
                  onChange={(v) => setMeta('source', { ...sourceMd, number: v })}
                />
                <span>{t('重复检查', 'idCheck')}</span>
                <Select
                  size="small"
                  style={{ width: 120 }}
                  disabled={readOnly}
                  value={String(sourceMd.idCheck ?? true)}
                  options={[
                    { value: 'true', label: t('不重复发送', 'skip repeats') },
                    { value: 'false', label: t('覆盖重发', 'replace, resend') },
                    { value: 'changed', label: t('变更才发', 'resend if changed') },
                  ]}
                  onChange={(v) => setMeta('source', { ...sourceMd, idCheck: v === 'changed' ? 'changed' : v === 'true' })}
                />
              </Space>
            )}
            <SideTabs
              side="source"
              metadata={sourceMd}
              readOnly={readOnly}
              onChange={(md) => setMeta('source', md)}
              form={
                sourceMd.api ? (
                  <FieldTable
                    testId="source-fields"
                    listName={srcKey}
                    fields={sourceFields}
                    readOnly={readOnly}
                    onChange={(f) => setMeta('source', { ...sourceMd, [srcKey]: f })}
                  />
                ) : (
                  <Empty description={t('先选择源连接器和接口', 'Pick the source connector and API first')} />
                )
              }
            />
          </Space>
        </Card>

        <Card
          size="small"
          data-testid="target-card"
          title={t('目标平台 · 调用执行 API', 'Target · write API')}
          extra={
            targetMd.api &&
            !readOnly && (
              <Button size="small" icon={<BulbOutlined />} onClick={suggest} data-testid="mapping-suggest">
                {t('智能匹配', 'Suggest mappings')}
              </Button>
            )
          }
        >
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Space.Compact block>
              <Select
                style={{ width: '50%' }}
                disabled={readOnly}
                placeholder={t('目标连接器', 'Target connector')}
                value={draft.target.connector || undefined}
                options={connectorOptions('target')}
                onChange={(v) => change((d) => ({ ...d, target: { ...d.target, connector: v, metadata: d.target.connector && platformOf(d.target.connector) === platformOf(v) ? d.target.metadata : { api: '' } } }))}
                data-testid="target-connector"
              />
              <Select
                style={{ width: '50%' }}
                disabled={readOnly || !draft.target.connector}
                placeholder={t('接口', 'API')}
                value={targetMd.api || undefined}
                options={apiOptions('target')}
                onChange={(v) => confirmReplace('target', v)}
                data-testid="target-api"
                showSearch
              />
            </Space.Compact>
            {specs.target?.describe && <Typography.Text type="secondary">{specs.target.describe}</Typography.Text>}
            <SideTabs
              side="target"
              metadata={targetMd}
              readOnly={readOnly}
              onChange={(md) => setMeta('target', md)}
              formLabel={t('字段映射', 'Mapping')}
              form={
                targetMd.api ? (
                  <MappingEditor
                    request={targetMd.request ?? []}
                    otherRequest={targetMd.otherRequest ?? []}
                    sourceFields={sourceFields}
                    docs={docs}
                    maps={maps.data ?? []}
                    readOnly={readOnly}
                    issues={issues}
                    onChange={(x) => setMeta('target', { ...targetMd, ...x })}
                  />
                ) : (
                  <Empty description={t('先选择目标连接器和接口', 'Pick the target connector and API first')} />
                )
              }
            />
          </Space>
        </Card>
      </div>

      <Collapse
        style={{ marginTop: 16 }}
        items={[
          {
            key: 'schedule',
            label: t('调度（定时）', 'Schedules'),
            children: (
              <Space orientation="vertical" style={{ width: '100%' }}>
                <Typography.Text type="secondary">
                  {t('推送型方案（OpenCallback）无需请求定时；目标侧没有执行定时则持续执行。', 'Push schemes (OpenCallback) need no source schedule; a target without a schedule runs continuously.')}
                </Typography.Text>
                {(['source', 'target'] as const).map((side) => (
                  <ScheduleForm
                    key={side}
                    label={side === 'source' ? t('请求定时（源）', 'Source schedule') : t('执行定时（目标）', 'Target schedule')}
                    value={draft[side].schedule}
                    readOnly={readOnly}
                    withWindow={side === 'source'}
                    onChange={(sch) =>
                      change((d) => {
                        const s = { ...d[side] };
                        if (sch) s.schedule = sch;
                        else delete s.schedule;
                        return { ...d, [side]: s };
                      })
                    }
                  />
                ))}
              </Space>
            ),
          },
        ]}
      />

      <div ref={previewRef}>
        <Card title={t('预览（试运行，不调用目标）', 'Preview (dry run: nothing is sent)')} size="small" style={{ marginTop: 16 }} data-testid="preview-card">
          <div className="side-by-side">
            <div>
              <Typography.Text type="secondary">{t('样例数据（一条记录、记录列表或 {"content": [...]}）', 'Sample (one record, a list, or {"content": [...]})')}</Typography.Text>
              <Input.TextArea
                className="mono"
                rows={14}
                value={sample}
                placeholder={JSON.stringify(exampleOf(sourceFields), null, 2)}
                onChange={(e) => setSample(e.target.value)}
                data-testid="preview-sample"
              />
              <Space style={{ marginTop: 8 }}>
                <Button type="primary" icon={<ExperimentOutlined />} onClick={runPreview} data-testid="preview-run">
                  {t('运行预览', 'Run preview')}
                </Button>
                <Button onClick={() => setSample(JSON.stringify(exampleOf(sourceFields), null, 2))}>{t('按字段生成样例', 'Example from fields')}</Button>
              </Space>
            </div>
            <div data-testid="preview-result">
              {previewError && (
                <Alert type="error" title={previewError.message} description={previewError.issues.map((i, k) => <div key={k}><code>{i.path}</code> {i.message}</div>)} />
              )}
              {preview && (
                <Space orientation="vertical" style={{ width: '100%' }}>
                  <Alert
                    type={preview.errors.length ? 'warning' : 'success'}
                    title={t(
                      `${preview.calls.length} 次调用，${preview.calls.reduce((n, c) => n + c.items.length, 0)} 条数据；${preview.errors.length} 条错误，${preview.skipped.length} 条被过滤`,
                      `${preview.calls.length} call(s), ${preview.calls.reduce((n, c) => n + c.items.length, 0)} item(s); ${preview.errors.length} error(s), ${preview.skipped.length} filtered`,
                    )}
                    data-testid="preview-summary"
                  />
                  {preview.errors.map((e, k) => (
                    <Alert
                      key={k}
                      type="error"
                      title={`#${e.index}${e.id ? ` (${e.id})` : ''}: ${e.message ?? ''}`}
                      description={e.issues?.map((i, j) => <div key={j}><code>{i.path}</code> {i.message}</div>)}
                    />
                  ))}
                  {preview.calls.map((c, k) => (
                    <Card key={k} size="small" title={t(`调用 ${k + 1}：${c.items.length} 条 (${c.recordIds.join(', ')})`, `Call ${k + 1}: ${c.items.length} item(s) (${c.recordIds.join(', ')})`)}>
                      <JsonBlock value={{ ...c.call, [batchParam]: c.items }} maxHeight={420} testId={`preview-call-${k}`} />
                    </Card>
                  ))}
                </Space>
              )}
              {!preview && !previewError && <Empty description={t('运行预览查看将发送的请求', 'Run the preview to see the requests that would be sent')} />}
            </div>
          </div>
        </Card>
      </div>

      {inferOpen && (
        <InferModal
          onClose={() => setInferOpen(false)}
          onFields={(fields, text) => {
            setMeta('source', { ...sourceMd, request: fields, id: sourceMd.id || (fields.find((f) => /^(tid|id|bill_no|code)$/.test(f.field))?.field ?? ''), number: sourceMd.number || (fields.find((f) => /^(tid|id|bill_no|code)$/.test(f.field))?.field ?? '') });
            if (!sample) setSample(text);
            setInferOpen(false);
          }}
        />
      )}
      {historyOpen && id && (
        <VersionsDrawer
          id={id}
          onClose={() => setHistoryOpen(false)}
          canRestore={!readOnly}
          onRestored={() => {
            setHistoryOpen(false);
            setDraft(null);
            setDirty(false);
            void qc.invalidateQueries({ queryKey: ['scheme', id] });
          }}
        />
      )}
    </div>
  );
}

function replaceAt(list: MetaParam[], indexes: number[], fn: (p: MetaParam) => MetaParam): MetaParam[] {
  const [i, ...rest] = indexes;
  return list.map((p, k) => (k !== i ? p : rest.length ? { ...p, children: replaceAt(p.children ?? [], rest, fn) } : fn(p)));
}

/**
 * 表单 / JSON of one side. The draft is the single source of truth: the JSON text is what you typed; while it parses,
 * every keystroke updates the draft; while it does not, the text is kept (and flagged) so switching tabs loses nothing.
 */
function SideTabs({ side, metadata, onChange, readOnly, form, formLabel }: { side: string; metadata: MetadataDoc; onChange(md: MetadataDoc): void; readOnly: boolean; form: React.ReactNode; formLabel?: string }) {
  const t = useT();
  const [tab, setTab] = useState('form');
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = text ?? JSON.stringify(metadata, null, 2);
  return (
    <Tabs
      size="small"
      activeKey={tab}
      onChange={(k) => {
        // Entering the JSON view shows the current draft unless a broken edit is still pending.
        if (k === 'json' && !error) setText(null);
        setTab(k);
      }}
      items={[
        { key: 'form', label: formLabel ?? t('表单', 'Form'), children: <>{error && <Alert type="warning" style={{ marginBottom: 8 }} title={t('JSON 视图中有未生效的错误编辑，表单显示最后一次有效内容', 'The JSON view holds an edit that does not parse; the form shows the last valid content')} />}{form}</> },
        {
          key: 'json',
          label: t('JSON（元数据）', 'JSON (metadata)'),
          children: (
            <>
              <Input.TextArea
                className="mono"
                rows={24}
                readOnly={readOnly}
                value={shown}
                data-testid={`${side}-json`}
                onChange={(e) => {
                  setText(e.target.value);
                  try {
                    const v = JSON.parse(e.target.value) as MetadataDoc;
                    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(t('必须是对象', 'must be an object'));
                    setError(null);
                    onChange(v);
                  } catch (err) {
                    setError((err as Error).message);
                  }
                }}
              />
              {error && <Alert type="error" style={{ marginTop: 8 }} title={t('JSON 无效：', 'Invalid JSON: ') + error} data-testid={`${side}-json-error`} />}
            </>
          ),
        },
      ]}
    />
  );
}

function ScheduleForm({ label, value, onChange, readOnly, withWindow }: { label: string; value?: Record<string, unknown>; onChange(v: Record<string, unknown> | undefined): void; readOnly: boolean; withWindow: boolean }) {
  const t = useT();
  const v = value ?? {};
  const set = (k: string, x: unknown) => {
    const n = { ...v };
    if (x === undefined || x === null || x === '' || x === false) delete n[k];
    else n[k] = x;
    onChange(Object.keys(n).length ? n : undefined);
  };
  return (
    <Form layout="inline" disabled={readOnly} style={{ rowGap: 8 }}>
      <Form.Item label={label}>
        <Input placeholder="*/5 * * * *" value={(v.cron as string) ?? ''} onChange={(e) => set('cron', e.target.value.trim())} style={{ width: 160 }} className="mono" />
      </Form.Item>
      <Form.Item label={t('启动时执行一次', 'Run on start')}>
        <Switch checked={Boolean(v.runOnStart)} onChange={(x) => set('runOnStart', x)} />
      </Form.Item>
      {withWindow && (
        <>
          <Form.Item label={t('首次开始时间', 'First start time')}>
            <Input placeholder="-3d / 2026-01-01 00:00:00" value={(v.startTime as string) ?? ''} onChange={(e) => set('startTime', e.target.value)} style={{ width: 180 }} />
          </Form.Item>
          <Form.Item label={t('重叠(分钟)', 'Overlap (min)')}>
            <InputNumber min={0} value={v.overlapMinutes as number | undefined} onChange={(x) => set('overlapMinutes', x)} />
          </Form.Item>
        </>
      )}
    </Form>
  );
}

function InferModal({ onClose, onFields }: { onClose(): void; onFields(fields: MetaParam[], text: string): void }) {
  const t = useT();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setError(null);
    let sample: unknown;
    try {
      sample = JSON.parse(text);
    } catch (e) {
      setError(t('不是有效的 JSON：', 'Not valid JSON: ') + (e as Error).message);
      return;
    }
    try {
      const r = await post<{ fields: MetaParam[] }>('/api/mapping/infer', { sample });
      onFields(r.fields, text);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  return (
    <Modal open width={720} title={t('从样例生成源字段', 'Source fields from a sample')} onCancel={onClose} onOk={go} okText={t('生成字段', 'Generate fields')} okButtonProps={{ 'data-testid': 'infer-ok' } as never}>
      <p>{t('粘贴一条推送样例（对象、列表或 {"content": [...]}），字段按轻易云方式生成（名称 = 字段名，_autoFillResponse）。', 'Paste a sample push (an object, a list, or {"content": [...]}); fields are generated the QEasy way (label = field name, _autoFillResponse).')}</p>
      <Input.TextArea className="mono" rows={16} value={text} onChange={(e) => setText(e.target.value)} data-testid="infer-text" />
      {error && <Alert type="error" title={error} style={{ marginTop: 8 }} />}
    </Modal>
  );
}

interface DiffEntry {
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

function VersionsDrawer({ id, onClose, onRestored, canRestore }: { id: string; onClose(): void; onRestored(): void; canRestore: boolean }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const versions = useQuery({ queryKey: ['versions', id], queryFn: () => get<{ versions: Array<{ version: number; at: number; actor: string; note: string | null }>; current: number }>(`/api/schemes/${encodeURIComponent(id)}/versions`) });
  const [diffOf, setDiffOf] = useState<number | null>(null);
  const diff = useQuery({
    queryKey: ['diff', id, diffOf],
    queryFn: () => get<{ from: number | null; to: number; changes: DiffEntry[] }>(`/api/schemes/${encodeURIComponent(id)}/versions/${diffOf}/diff`),
    enabled: diffOf !== null,
  });
  const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <Drawer open size={860} title={t(`版本历史：${id}`, `Version history: ${id}`)} onClose={onClose} data-testid="versions-drawer">
      <Table
        size="small"
        rowKey="version"
        pagination={false}
        dataSource={versions.data?.versions ?? []}
        columns={[
          { title: t('版本', 'Version'), dataIndex: 'version', render: (v) => <Space>v{v}{v === versions.data?.current && <Tag color="blue">{t('当前', 'current')}</Tag>}</Space> },
          { title: t('时间', 'When'), dataIndex: 'at', render: fmtTime },
          { title: t('操作人', 'By'), dataIndex: 'actor' },
          { title: t('说明', 'Note'), dataIndex: 'note' },
          {
            title: '',
            render: (_, v) => (
              <Space>
                <Button size="small" onClick={() => setDiffOf(v.version)} data-testid={`diff-${v.version}`}>
                  {t('与上一版对比', 'Diff with previous')}
                </Button>
                {canRestore && v.version !== versions.data?.current && (
                  <Button
                    size="small"
                    onClick={async () => {
                      try {
                        await post(`/api/schemes/${encodeURIComponent(id)}/versions/${v.version}/restore`);
                        message.success(t(`已恢复版本 ${v.version}（保存为新版本）`, `Version ${v.version} restored (saved as a new version)`));
                        onRestored();
                      } catch (e) {
                        message.error((e as ApiError).message);
                      }
                    }}
                  >
                    {t('恢复', 'Restore')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      {diffOf !== null && diff.data && (
        <Card size="small" style={{ marginTop: 16 }} title={t(`v${diff.data.from ?? '∅'} → v${diff.data.to}：${diff.data.changes.length} 处变更`, `v${diff.data.from ?? '∅'} → v${diff.data.to}: ${diff.data.changes.length} change(s)`)}>
          <Table
            size="small"
            rowKey={(r) => r.path + r.op}
            pagination={false}
            dataSource={diff.data.changes}
            data-testid="diff-table"
            columns={[
              { title: t('位置', 'Path'), dataIndex: 'path', render: (p) => <code>{p}</code> },
              { title: '', dataIndex: 'op', render: (op) => <Tag color={op === 'added' ? 'green' : op === 'removed' ? 'red' : 'orange'}>{op}</Tag> },
              { title: t('之前', 'Before'), render: (_, r) => <Typography.Text delete={r.op !== 'added'} className="mono">{show(r.before)}</Typography.Text> },
              { title: t('之后', 'After'), render: (_, r) => <Typography.Text className="mono">{show(r.after)}</Typography.Text> },
            ]}
          />
        </Card>
      )}
      <Descriptions size="small" style={{ marginTop: 16 }} items={[{ label: t('说明', 'Note'), children: t('工作区文件方案的历史在 git 中。', 'Workspace-file schemes keep their history in git.') }]} />
    </Drawer>
  );
}
