/** The web console in headless Chromium against the simulated hub, with a real agent connected through azure-iot-device. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicroAgent } from '../../src/agent.js';
import { createTunedAgent } from '../../src/tuned-agent.js';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { FAST_TWIN } from '../support/agent-harness.js';
import { browserSkipReason, consolePage, launchChromium, screenshot } from './console-browser.js';

const skipReason = browserSkipReason();
const MODULE = 'DefenderIotMicroAgent';
const WAIT = { timeout: 20_000 };

describe.skipIf(skipReason !== undefined)(`the web console in a browser${skipReason ? ` (${skipReason})` : ''}`, () => {
  let dir: string;
  let hub: SimulatedHub;
  let browser: Browser;
  const agents: MicroAgent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-ui-'));
    hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
    hub.service.seedDevices(23, 'console-device-');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await browser?.close();
    await hub?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function reportedVersion(page: Page): Promise<number> {
    return Number(await page.locator('#latest-state').getAttribute('data-reported-version'));
  }

  /** Waits until the agent has answered a desired change made after `before`, with `state`. */
  async function waitForAnswer(page: Page, state: string, before: number): Promise<void> {
    await page.waitForFunction(([s, v]) => {
      const banner = document.querySelector('#latest-state');
      return banner?.getAttribute('data-latest-state') === s && Number(banner.getAttribute('data-reported-version')) > Number(v);
    }, [state, before] as const, WAIT);
  }

  it('refuses every page and API call without the token', async () => {
    const { context, page, problems } = await consolePage(browser);
    const origin = new URL(hub.consoleUrl).origin;
    for (const path of ['/console/', '/console/app.js', '/console/api/devices']) {
      const response = await page.goto(`${origin}${path}`);
      expect(response?.status(), path).toBe(401);
    }
    expect(await page.locator('body').innerText()).not.toContain('Devices');
    const wrong = await page.goto(`${origin}/console/?token=not-the-token`);
    expect(wrong?.status()).toBe(401);
    // The browser itself logs each refused document as a failed resource; nothing else may complain.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await context.close();
  });

  it('adds the module, opens its twin, sees the agent answer success and failed live, and its Heartbeat arrive', async () => {
    const { context, page, problems } = await consolePage(browser);
    await page.goto(hub.consoleUrl);
    const row = page.locator('tr[data-device="console-device-0002"]');
    await row.getByRole('button', { name: `Add ${MODULE}` }).click();
    await row.getByRole('button', { name: 'Show connection string' }).click();
    const connectionString = await page.getByLabel('Connection string of console-device-0002').inputValue();
    expect(connectionString).toContain(`DeviceId=console-device-0002;ModuleId=${MODULE};SharedAccessKey=`);

    await row.getByRole('link', { name: 'Open twin' }).click();
    await expect.poll(() => page.locator('#latest-state').getAttribute('data-latest-state'), WAIT).toBe('none');
    const agent = createTunedAgent({
      connectionString, ca: hub.caPem, stateDir: join(dir, 'agent'), twinDefaults: FAST_TWIN, random: () => 0, flushBeforeApplyMs: 1_000,
    });
    agents.push(agent);
    await agent.start();
    await waitForAnswer(page, 'success', 0);
    expect(await page.locator('table.collectors tr[data-collector="Heartbeat"] .badge').innerText()).toBe('running');

    // A valid change through key completion: type part of a key, take the suggestion, change its value, save.
    const editor = page.getByLabel('Desired properties (JSON)');
    await editor.fill('{\n  \n}');
    await editor.evaluate((t: HTMLTextAreaElement) => t.setSelectionRange(4, 4));
    await editor.pressSequentially('"SystemInformation_Mess');
    await page.locator(`#desired-json-completion li[data-key="SystemInformation_MessageFrequency"]`).waitFor();
    await editor.press('Enter');
    expect(JSON.parse(await editor.inputValue())).toEqual({ SystemInformation_MessageFrequency: 'Low' });
    await editor.fill(JSON.stringify({ SystemInformation_MessageFrequency: 'Medium' }, null, 2));
    const save = page.getByRole('button', { name: 'Save', exact: true });
    await expect.poll(() => save.isEnabled(), WAIT).toBe(true);
    let before = await reportedVersion(page);
    await save.click();
    await waitForAnswer(page, 'success', before);
    expect(hub.getTwin('console-device-0002', MODULE).desired['SystemInformation_MessageFrequency']).toBe('Medium');

    // An invalid value is flagged before sending, Save stays disabled; sent anyway, the agent answers failed.
    await editor.fill(JSON.stringify({ SystemInformation_MessageFrequency: 'Medium', Heartbeat_MessageFrequency: 'Sometimes' }, null, 2));
    await page.locator('#desired-errors li[data-key="Heartbeat_MessageFrequency"]').waitFor(WAIT);
    expect(await save.isDisabled()).toBe(true);
    expect(hub.getTwin('console-device-0002', MODULE).desired['Heartbeat_MessageFrequency']).toBeUndefined();
    before = await reportedVersion(page);
    await page.getByRole('button', { name: /Save anyway/ }).click();
    await waitForAnswer(page, 'failed', before);
    expect(await page.locator('#latest-state .rejected-key').allInnerTexts()).toEqual(['Heartbeat_MessageFrequency']);
    expect(await page.locator('ul.keys li.rejected').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(['Heartbeat_MessageFrequency']);
    expect(await page.locator('.backdrop mark.rejected').evaluateAll((marks) => marks.map((m) => m.getAttribute('data-key')))).toEqual(['Heartbeat_MessageFrequency']);
    await screenshot(page, 'console-twin.png');

    // The live list: a Heartbeat that arrives after the page opened shows up on top without a reload.
    await page.getByRole('link', { name: 'Live messages' }).click();
    await page.locator('#message-list li.message').first().waitFor(WAIT);
    const newest = Number(await page.locator('#message-list li.message').first().getAttribute('data-seq'));
    await page.waitForFunction((seq) => [...document.querySelectorAll('#message-list li.message')]
      .some((m) => Number(m.getAttribute('data-seq')) > seq && m.querySelector('li.event[data-event="Heartbeat"]')), newest, WAIT);
    expect(await page.locator('figure.chart-box .legend').innerText()).toContain('Heartbeat');
    await page.getByLabel('Filter by event name').selectOption('Heartbeat');
    const shown = page.locator('#message-list li.message');
    expect(await shown.evaluateAll((items) => items.every((m) => m.querySelector('li.event[data-event="Heartbeat"]')))).toBe(true);
    await page.getByLabel('Filter by event name').selectOption('');

    // Paused, the list holds still (so a message can be read), counts what arrives, and takes it in on resume.
    await page.getByRole('button', { name: 'Pause' }).click();
    const top = Number(await shown.first().getAttribute('data-seq'));
    await shown.first().locator('summary').click();
    expect(await shown.first().locator('pre').innerText()).toContain('"Events"');
    await screenshot(page, 'console-messages.png');
    await page.getByText(/^Paused: [1-9]\d* new messages? held\.$/).waitFor(WAIT);
    expect(Number(await shown.first().getAttribute('data-seq'))).toBe(top);
    await page.getByRole('button', { name: 'Resume' }).click();
    expect(Number(await shown.first().getAttribute('data-seq'))).toBeGreaterThan(top);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('pages, searches, adds the module to all that lack it and deletes one after confirming', async () => {
    const { context, page, problems } = await consolePage(browser);
    await page.goto(hub.consoleUrl);
    await expect.poll(() => page.locator('.pager .range').textContent(), WAIT).toBe('1–20 of 23');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('tbody tr[data-device]').count(), WAIT).toBe(3);
    await page.getByLabel('Search devices').fill('0007');
    await expect.poll(() => page.locator('tbody tr[data-device]').count(), WAIT).toBe(1);
    await page.getByLabel('Search devices').fill('');
    const lacking = hub.service.listDevices(100).filter((d) =>
      !hub.service.listModules(String(d['deviceId'])).some((m) => m['moduleId'] === MODULE)).length;
    expect(lacking).toBeGreaterThan(1);
    await page.getByRole('button', { name: `Add ${MODULE} to all devices that lack it` }).click();
    await page.getByText(`Added ${MODULE} to ${lacking} devices.`).waitFor(WAIT);
    expect(hub.service.listModules('console-device-0023').map((m) => m['moduleId'])).toContain(MODULE);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('tr[data-device="console-device-0005"]').getByRole('button', { name: 'Delete module' }).click();
    await page.locator('tr[data-device="console-device-0005"]').getByRole('button', { name: `Add ${MODULE}` }).waitFor(WAIT);
    expect(hub.service.listModules('console-device-0005').map((m) => m['moduleId'])).not.toContain(MODULE);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
