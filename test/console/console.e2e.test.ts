/**
 * The console's proof, in a real browser against a real server with the mounted WDT sandbox:
 * sign in (first admin's one-time password, then a new one) → create a connector and test it against the sandbox →
 * build the seed scheme from the catalogue with the mapping editor (fields from a sample, suggestions, JSON view)
 * → preview → save → start → push orders with curl → see them done in 数据管理 → force a failure in the sandbox,
 * see the error and its trace, fix it, re-queue, see it done → edit and resubmit a record the mapping rejected →
 * logs, push help, version history with diff, English. Screenshots of each main page go to test-output/console/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningQiao } from '../../src/server/index.ts';
import { DEMO_APP, ROOT, seedOrder, startServer, tmpDir, waitFor } from '../helpers.ts';
import { ensureConsoleBuilt, HAS_CHROMIUM, launch, pick, shot, watch } from './browser.ts';

const SAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/seed/sample-order.json'), 'utf8')) as { content: Record<string, unknown>[] };
const NEW_PASSWORD = 'bridge-over-water-2026';
const SCHEME = 'seed-ui';

/** A workspace with only the push connector and the demo app; everything else is made in the console. */
function consoleWorkspace(): string {
  const dir = tmpDir('qiao-console-ws-');
  fs.mkdirSync(path.join(dir, 'connectors'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.writeFileSync(path.join(dir, 'workspace.json'), JSON.stringify({ sandboxes: ['wdt'] }));
  fs.writeFileSync(path.join(dir, 'connectors/callback.json'), JSON.stringify({ name: 'callback', platform: 'qeasy', env: 'production', params: {} }));
  fs.writeFileSync(path.join(dir, 'apps/demo.json'), JSON.stringify({ ...DEMO_APP, scopes: ['push', 'admin'] }));
  return dir;
}

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const run = promisify(execFile);

/** Push with curl, as a user would (fetch when the machine has no curl). Async: the server runs in this process. */
async function curlPush(url: string, orders: unknown[]): Promise<Record<string, any>> {
  const tokenBody = JSON.stringify(DEMO_APP);
  if (!hasCurl) {
    const tok = (await (await fetch(`${url}/v2/oauth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tokenBody })).json()) as { access_token: string };
    const r = await fetch(`${url}/v2/open-api/business/${SCHEME}/store?access_token=${tok.access_token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: orders }) });
    return (await r.json()) as Record<string, any>;
  }
  const token = JSON.parse((await run('curl', ['-s', '-X', 'POST', `${url}/v2/oauth`, '-H', 'Content-Type: application/json', '-d', tokenBody])).stdout).access_token;
  const { stdout } = await run('curl', [
    '-s', '-X', 'POST', `${url}/v2/open-api/business/${SCHEME}/store?access_token=${token}`, '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify({ content: orders }),
  ]);
  return JSON.parse(stdout) as Record<string, any>;
}

describe.skipIf(!HAS_CHROMIUM)('web console (Chromium, real server, WDT sandbox)', { timeout: 60_000 }, () => {
  let q: RunningQiao;
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watch>;

  beforeAll(async () => {
    ensureConsoleBuilt();
    const env = { ...process.env };
    delete env.QIAO_ADMIN_PASSWORD;
    q = await startServer(consoleWorkspace(), tmpDir('qiao-console-data-'), { env, dispatcher: { idleMs: 100 } });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.addInitScript(() => {
      (window as unknown as { __csp: string[] }).__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    seen = watch(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await q?.close();
  });

  const go = async (hash: string, testId: string) => {
    await page.goto(`${q.url}/#${hash}`);
    await page.getByTestId(testId).waitFor();
  };

  const recordStatus = async (tid: string) => {
    const r = await q.console.queries.searchRecords(SCHEME, { key: tid, limit: 1, offset: 0 });
    return r.rows[0]?.statusName;
  };

  it('signs in with the one-time password and must change it first', async () => {
    const first = q.console.firstAdmin;
    expect(first?.username).toBe('admin');
    expect(first?.password).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    await page.goto(`${q.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('用户名或密码错误');
    await shot(page, '01-login');
    await page.getByTestId('login-password').fill(first!.password!);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('pw-current').fill(first!.password!);
    await page.getByTestId('pw-new').fill(NEW_PASSWORD);
    await page.getByTestId('pw-submit').click();
    await page.getByTestId('page-dashboard').waitFor();
  });

  it('creates a WDT connector, tests it against the sandbox, and never shows its secret again', async () => {
    await go('/connectors', 'page-connectors');
    await page.getByTestId('connector-new').click();
    await page.getByTestId('connector-name').fill('wdt-ui');
    await pick(page, 'connector-platform', '旺店通');
    await pick(page, 'connector-env', 'sandbox');
    await page.getByTestId('param-sid').fill('qiaodemo');
    await page.getByTestId('param-appkey').fill('qiaodemo-test');
    await page.getByTestId('param-appsecret').fill('wrong-secret');
    await page.getByTestId('param-base_url').fill(`${q.url}/sandbox/wdt/openapi2/`);
    await page.getByTestId('connector-form-test').click();
    await expect.poll(() => page.getByTestId('connector-form-test-result').getAttribute('class')).toContain('error');
    await page.getByTestId('param-appsecret').fill('qiaodemo-secret');
    await page.getByTestId('connector-form-test').click();
    await expect.poll(() => page.getByTestId('connector-form-test-result').textContent()).toContain('连接成功');
    await page.getByTestId('connector-form-save').click();
    await page.getByTestId('connector-test-wdt-ui').click();
    await expect.poll(() => page.getByTestId('test-result-wdt-ui').textContent()).toContain('成功');
    await shot(page, '02-connectors');
    // Write-only: the list and the database hold no clear secret.
    const html = await page.content();
    expect(html).not.toContain('qiaodemo-secret');
    const stored = q.console.configStore.getConnector('wdt-ui')!;
    expect(JSON.stringify(stored)).not.toContain('qiaodemo-secret');
    expect(stored.secrets.appsecret).toMatch(/^q1\./);
  });

  it('builds the seed scheme from the catalogue with the mapping editor, previews, saves and starts it', async () => {
    await go('/schemes', 'page-schemes');
    await page.getByTestId('scheme-new').click();
    await page.getByTestId('page-scheme-editor').waitFor();
    await page.getByTestId('scheme-id').fill(SCHEME);
    await page.getByTestId('scheme-name').fill('OpenCallback → 旺店通 trade_push（控制台创建）');
    // Source: the push API; its fields come from a sample order.
    await pick(page, 'source-connector', 'callback');
    await pick(page, 'source-api', 'OpenCallback');
    await page.getByTestId('infer-open').click();
    await page.getByTestId('infer-text').fill(JSON.stringify(SAMPLE, null, 2));
    await page.getByTestId('infer-ok').click();
    await expect.poll(() => page.getByTestId('source-fields').locator('input[value="receiver_mobile"]').count()).toBeGreaterThan(0);
    // Target: trade_push from the WDT catalogue, mapped by suggestion.
    await pick(page, 'target-connector', 'wdt-ui');
    await pick(page, 'target-api', 'trade_push');
    await page.getByTestId('mapping-editor').waitFor();
    await page.getByTestId('mapping-suggest').click();
    await expect.poll(() => page.locator('[data-target="otherRequest.shop_no"]').textContent()).toContain('shop_no');
    // One rule set by hand: drag the source's buyer_nick onto the target's buyer_message (a remark).
    await page.locator('[data-path="buyer_nick"]').first().dragTo(page.locator('[data-target="request.buyer_message"]'));
    await expect.poll(() => page.locator('[data-target="request.buyer_message"]').textContent()).toContain('buyer_nick');

    // A `_function` rule is checked by 校验: an unknown function is named, on its row too; a good one passes.
    await pick(page, 'rule-request.seller_memo', '_function');
    await page.getByTestId('value-request.seller_memo').fill('NO_SUCH({{tid}})');
    await page.getByTestId('scheme-validate').click();
    await expect.poll(() => page.getByTestId('scheme-issues').textContent()).toContain('unknown function NO_SUCH');
    await expect.poll(() => page.locator('[data-target="request.seller_memo"]').getAttribute('class')).toContain('row-error');
    await page.getByTestId('value-request.seller_memo').fill("_function CONCAT('客服: ', '{{buyer_nick}}')");
    await page.getByTestId('scheme-validate').click();
    await page.getByTestId('scheme-valid').waitFor();

    // The JSON view shows the same metadata; an edit there shows up in the form (nothing lost by switching).
    const sourceCard = page.getByTestId('source-card');
    await sourceCard.getByRole('tab', { name: /JSON/ }).click();
    const json = JSON.parse(await page.getByTestId('source-json').inputValue());
    expect(json.api).toBe('OpenCallback');
    expect(json.id).toBe('tid');
    json.request.find((f: { field: string }) => f.field === 'buyer_nick').label = '客户网名';
    await page.getByTestId('source-json').fill(JSON.stringify(json, null, 2));
    await sourceCard.getByRole('tab', { name: '表单' }).click();
    await expect.poll(() => page.getByTestId('source-fields').locator('input[value="客户网名"]').count()).toBe(1);

    // Preview (dry run): one call with the order, exactly as it would be sent.
    await page.getByTestId('preview-run').click();
    await expect.poll(() => page.getByTestId('preview-summary').textContent()).toContain('1 次调用，1 条数据；0 条错误');
    const call = JSON.parse((await page.getByTestId('preview-call-0').textContent())!);
    expect(call.shop_no).toBe('api_test');
    expect(call.trade_list[0]).toMatchObject({ tid: 'QIAO-DEMO-0001', trade_status: 30, receiver_mobile: '13800000000', buyer_message: '桥的第一位客户', seller_memo: '客服: 桥的第一位客户' });
    expect(call.trade_list[0].order_list[0]).toMatchObject({ oid: 'QIAO-DEMO-0001-1', goods_name: '西湖龙井' });
    await shot(page, '03-scheme-editor');

    await page.getByTestId('scheme-save').click();
    await page.waitForURL(new RegExp(`#/schemes/${SCHEME}$`));
    await page.getByTestId('scheme-startstop').waitFor();
    await page.getByTestId('scheme-startstop').click();
    await expect.poll(() => q.dispatcher.isActive(SCHEME)).toBe(true);
    await go('/schemes', 'page-schemes');
    await expect.poll(() => page.getByTestId(`scheme-state-${SCHEME}`).textContent()).toContain('运行中');
    await shot(page, '04-schemes');
  });

  it('delivers orders pushed with curl and shows them done in 数据管理', async () => {
    const orders = [seedOrder('UI-0001'), seedOrder('UI-0002', 'api_test', 3), seedOrder('UI-0003')];
    const answer = await curlPush(q.url, orders);
    expect(answer).toMatchObject({ code: 0, accepted: 3 });
    for (const o of orders) await waitFor(async () => (await recordStatus(o.tid as string)) === 'done', 20_000, `${o.tid} done`);
    const trades = (await (await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/trades?tid=UI-0002`)).json()) as { trades?: Array<{ tid: string }>; rows?: Array<{ tid: string }> };
    expect(JSON.stringify(trades)).toContain('UI-0002');
    await go(`/data?scheme=${SCHEME}`, 'page-data');
    await expect.poll(() => page.getByTestId('records-table').locator('[data-status="done"]').count()).toBe(3);
    await shot(page, '05-data');
  });

  it('shows a failure forced in the sandbox with its trace; after the fix, re-queue delivers it', async () => {
    const faults = await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trade_push: { rejectTids: ['UI-BAD-1'] } }),
    });
    expect(faults.ok).toBe(true);
    expect((await curlPush(q.url, [seedOrder('UI-BAD-1')])).accepted).toBe(1);
    await waitFor(async () => (await recordStatus('UI-BAD-1')) === 'error', 20_000, 'UI-BAD-1 error');

    await go(`/data?scheme=${SCHEME}&status=error`, 'page-data');
    const row = page.locator('[data-record="UI-BAD-1"]');
    await row.waitFor();
    await row.click();
    const drawer = page.getByTestId('record-drawer');
    await expect.poll(() => drawer.getByTestId('record-error').textContent()).toMatch(/UI-BAD-1/);
    await drawer.getByRole('tab', { name: /调用记录/ }).click();
    await drawer.getByTestId('record-calls').locator('.ant-collapse-header').first().click();
    await expect.poll(() => drawer.getByTestId('record-calls').textContent()).toContain('trade_push');
    expect(await drawer.textContent()).not.toContain('qiaodemo-secret');
    await shot(page, '06-record-error', false);

    // Fix: the sandbox accepts the order again; re-queue from the drawer.
    await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/faults`, { method: 'DELETE' });
    await drawer.getByTestId('record-requeue').click();
    await waitFor(async () => (await recordStatus('UI-BAD-1')) === 'done', 20_000, 'UI-BAD-1 done after re-queue');
    await drawer.getByRole('tab', { name: /处理历史/ }).click();
    await expect.poll(() => drawer.getByTestId('record-history').textContent()).toContain('re-queued by user:admin');
    await page.keyboard.press('Escape');
  });

  it('edits a record the mapping rejected and resubmits it', async () => {
    const bad = seedOrder('UI-BAD-2');
    (bad.order_list as Array<Record<string, unknown>>)[0]!.num = 'two';
    expect((await curlPush(q.url, [bad])).accepted).toBe(1);
    await waitFor(async () => (await recordStatus('UI-BAD-2')) === 'error', 20_000, 'UI-BAD-2 error');
    await go(`/data?scheme=${SCHEME}`, 'page-data');
    await page.getByTestId('data-key').locator('input').fill('UI-BAD-2');
    await page.getByTestId('data-key').locator('input').press('Enter');
    await page.locator('[data-record="UI-BAD-2"]').click();
    const drawer = page.getByTestId('record-drawer');
    await expect.poll(() => drawer.getByTestId('record-error').textContent()).toMatch(/num/);
    await drawer.getByTestId('record-edit').click();
    const fixed = JSON.parse(await drawer.getByTestId('record-edit-text').inputValue());
    fixed.order_list[0].num = '2';
    await drawer.getByTestId('record-edit-text').fill(JSON.stringify(fixed, null, 2));
    await drawer.getByTestId('record-edit-save').click();
    await waitFor(async () => (await recordStatus('UI-BAD-2')) === 'done', 20_000, 'UI-BAD-2 done after edit');
    await page.keyboard.press('Escape');
  });

  it('shows calls and errors in 日志, push help, the dashboard, and version history with a diff', async () => {
    await go('/logs', 'page-logs');
    await expect.poll(() => page.getByTestId('calls-table').locator('.ant-tag', { hasText: 'business_error' }).count()).toBeGreaterThan(0);
    await shot(page, '07-logs');

    await go(`/push?scheme=${SCHEME}`, 'page-push');
    await expect.poll(() => page.getByTestId('push-url').textContent()).toContain(`/v2/open-api/business/${SCHEME}/store`);
    expect(await page.getByTestId('push-curl').textContent()).toContain('curl -s -X POST');
    await shot(page, '08-push-help');

    await go('/dashboard', 'page-dashboard');
    await expect.poll(() => page.getByTestId('chart-throughput').locator('rect').count()).toBeGreaterThan(0);
    await shot(page, '09-dashboard');

    // A second version: rename, save, and see the change in the history's diff.
    await go(`/schemes/${SCHEME}`, 'page-scheme-editor');
    await page.getByTestId('scheme-name').fill('OpenCallback → 旺店通 trade_push（第二版）');
    await page.getByTestId('scheme-save').click();
    await expect.poll(() => q.console.configStore.getScheme(SCHEME)?.version).toBe(2);
    await page.getByTestId('scheme-history').click();
    await page.getByTestId('diff-2').click();
    await expect.poll(() => page.getByTestId('diff-table').textContent()).toContain('第二版');
    await shot(page, '10-versions', false);
    await page.keyboard.press('Escape');

    await go('/system', 'page-system');
    await shot(page, '11-system');
  });

  it('switches to English', async () => {
    await go('/connectors', 'page-connectors');
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('main-menu').textContent()).toContain('Connectors');
    await shot(page, '12-english');
    await page.getByTestId('lang-switch').click();
  });

  it('never violated the content security policy and raised no errors', async () => {
    const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    expect(violations).toEqual([]);
    expect(seen.csp).toEqual([]);
    expect(seen.errors).toEqual([]);
  });
});
