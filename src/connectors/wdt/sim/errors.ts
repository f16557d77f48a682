/**
 * Error answers of the simulator. Real openapi2 codes are known only for some cases (99 validation, 1007, 1020,
 * 2830, 2900 from the sister product's docs); the rest are our choice. Every code can be overridden per sandbox
 * (`errorCodes` option) so a test can mimic whatever a real account answers.
 */
export const WDT_SIM_ERRORS = {
  /** sid / appkey / timestamp / sign missing. */
  missing_system_param: { code: 1001, message: '缺少系统参数' },
  unknown_sid: { code: 1002, message: '卖家账号不存在' },
  unknown_appkey: { code: 1007, message: '接口账号不存在或已停用' },
  timestamp: { code: 1003, message: '时间戳超出允许范围(±300秒)' },
  sign: { code: 1004, message: '签名错误' },
  /** A field of a write payload: required, enum, number, length, format, business rule. */
  validation: { code: 99, message: '参数校验失败' },
  /** A query param value (page_size range, malformed time …). */
  invalid_value: { code: 2830, message: '参数值无效' },
  time_range_required: { code: 2900, message: '时间范围与单号不能全部为空' },
  window_exceeded: { code: 2901, message: '时间跨度超过限制' },
  shop_not_found: { code: 1010, message: '店铺不存在' },
  shop_platform: { code: 1011, message: '仅支持推送自有/其它平台店铺' },
  not_found: { code: 1012, message: '单据不存在' },
  state_conflict: { code: 1013, message: '单据状态不允许此操作' },
  call_time: { code: 1050, message: '该接口只允许在北京时间00:00-02:00调用' },
  rate_limit: { code: 1030, message: '接口调用过于频繁,请稍后再试' },
  duplicate_operation: { code: 1020, message: '请勿重复操作' },
  /** errorRate fault. */
  injected: { code: 1099, message: '模拟业务错误(故障注入)' },
  /** rejectTids fault. */
  rejected: { code: 99, message: '模拟拒绝(故障注入)' },
  unknown_api: { code: 1000, message: '接口不存在' },
} as const;

export type SimErrorKind = keyof typeof WDT_SIM_ERRORS;

/** A business error answer: `{code, message}` with HTTP 200, as WDT answers. */
export class SimError extends Error {
  constructor(
    readonly kind: SimErrorKind,
    readonly detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? WDT_SIM_ERRORS[kind].message);
  }
}

export function errorBody(err: SimError, codes: Partial<Record<SimErrorKind, number>>): Record<string, unknown> {
  const def = WDT_SIM_ERRORS[err.kind];
  return { code: codes[err.kind] ?? def.code, message: err.detail ?? def.message, ...err.extra };
}
