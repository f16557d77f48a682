/**
 * Platform `qeasy` (轻易云集成平台): the platform itself as a source. Its API `OpenCallback` (开放式的回调方法) is a
 * push endpoint: external systems POST records to `/v2/open-api/business/{schemeId}/store`. The record fields
 * are whatever the scheme's source metadata declares, so the catalogue entry has none of its own.
 */
import type { Platform } from '../types.ts';

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
  ],
};
