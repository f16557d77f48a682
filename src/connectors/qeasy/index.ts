/**
 * Platform `qeasy` (轻易云集成平台): the platform itself, on either side of a scheme.
 *
 * - Source `OpenCallback` (开放式的回调方法) is a push endpoint: external systems POST records to
 *   `/v2/open-api/business/{schemeId}/store`. The record fields are whatever the scheme's source metadata declares,
 *   so the catalogue entry has none of its own.
 * - Target `noop` (写入空操作) writes nowhere: every record is settled done at once, and stays in the record store.
 *   That is how QEasy users keep reference data (货品档案, 仓库, 组织) for `_findCollection` lookups from other
 *   schemes, or snapshot a source (库存查询 → 对比数据) without a real target.
 */
import type { CallTrace, ConnectorConfig, Platform, PlatformClient, WriteOutcome } from '../types.ts';

/** Records per no-op "call": large, since nothing is sent; the dispatcher's claim size is the real bound. */
export const NOOP_BATCH = 1000;

/** The no-op client: write() succeeds for every item without any I/O. */
export class NoopClient implements PlatformClient {
  constructor(private readonly name = 'qeasy') {}

  async write(api: string, callParams: Record<string, unknown>, items: unknown[]): Promise<WriteOutcome> {
    const trace: CallTrace = {
      api,
      url: `qeasy://${this.name}/${api}`,
      method: 'NOOP',
      request: { ...callParams, items: items.length },
      status: 200,
      response: JSON.stringify({ code: 0, message: '写入空操作', stored: items.length }),
      durationMs: 0,
    };
    return { ok: true, response: { code: 0, message: '写入空操作', stored: items.length }, trace };
  }

  async test(): Promise<{ ok: boolean; message: string }> {
    return { ok: true, message: '轻易云集成平台: 无需连接 (推送入口 / 写入空操作)' };
  }

  async close(): Promise<void> {}
}

export const platform: Platform = {
  name: 'qeasy',
  label: '轻易云集成平台',
  envs: { production: {}, sandbox: {}, test: {} },
  params: [],
  catalogue: [
    {
      name: 'OpenCallback',
      label: '开放式的回调方法',
      direction: 'push',
      describe: '外部系统通过 OpenAPI 推送数据到集成方案 (POST /v2/open-api/business/{schemeId}/store)',
      request: [],
    },
    {
      name: 'noop',
      label: '写入空操作',
      direction: 'write',
      describe:
        '不调用任何外部系统: 数据写入集成平台后直接标记为已完成, 保留在数据存储中, 供其他方案的 _findCollection 查询或作为对比数据。',
      request: [],
      batch: { param: 'items', max: NOOP_BATCH },
    },
  ],
  connect: (conn: ConnectorConfig) => new NoopClient(conn.name),
};
