import type { TaskSnapshot } from '@taskdash/contract';
import type { Browser, Page } from 'playwright-core';
import { ExecutionsQueue } from '../../backend/src/queue/executions-queue.service';
import { SIMULATED_JOB } from '../../backend/src/queue/handlers/simulated-job.handler';
import { expectEventually } from '../../../test/eventually';
import { startTestApp, type TestApp } from '../../../test/test-app';
import { DEMO_AGENT, docScreenshot, ensureDashboardBuilt, launchBrowser, openPage, signIn } from './browser.harness';

const HOUR = 3_600_000;

// The queue pages in headless Chromium against a real backend, BullMQ queue and worker: each
// action from a button, seen by a second operator's page, and refused to a plain user.
describe('queue pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let queue: ExecutionsQueue;
  const errors: string[] = [];
  const pages: Page[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    t = await startTestApp({
      redis: true,
      env: { EXECUTION_PROFILES: JSON.stringify({ demo: [process.execPath, DEMO_AGENT, '{prompt}'] }), QUEUE_PROGRESS_COALESCE_MS: '20' },
    });
    queue = t.app.get(ExecutionsQueue);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.context().close()));
    expect(errors.splice(0)).toEqual([]);
  });

  const operatorPage = async (sub: string, hash: string): Promise<Page> => {
    const page = await openPage(browser, errors);
    pages.push(page);
    await signIn(page, t.url, t.token(sub, 'operator'));
    await page.goto(`${t.url}/${hash}`);
    return page;
  };
  const jobState = (page: Page, state: string) => page.locator(`[data-testid=job-state][data-state=${state}]`).waitFor({ timeout: 20_000 });
  const failedJob = async (taskId?: string): Promise<string> => {
    const job = await queue.add(SIMULATED_JOB, { steps: 3, fail: true, ...(taskId && { taskId }) });
    await expectEventually(async () => expect(await job.getState()).toBe('failed'), 20_000, 50);
    return job.id!;
  };

  it('lists failed jobs with counts, shows one with its stack trace and logs, and retries it while another operator watches', async () => {
    const task = (await t.http('POST', '/tasks', 'olga', { title: 'Nightly import' }, 'operator')).body as TaskSnapshot;
    const jobId = await failedJob(task.id);
    const page = await operatorPage('olga', '#/');
    await page.click('[data-testid=nav-queues]');
    await page.click('[data-testid=state-tab][data-state=failed]');
    await page.locator(`[data-testid=job-list-row][data-job-id="${jobId}"]`).waitFor();
    expect(Number(await page.locator('[data-testid=state-tab][data-state=failed] [data-testid=state-count]').textContent())).toBeGreaterThanOrEqual(1);
    await docScreenshot(page, '10-queue-failed', 'queue');

    const watcher = await operatorPage('omar', `#/jobs/executions/${jobId}`);
    await jobState(watcher, 'failed');
    await page.click(`[data-testid=job-list-row][data-job-id="${jobId}"] [data-testid=job-link]`);
    await jobState(page, 'failed');
    await expect(page.locator('[data-testid=job-stacktrace]').first().textContent()).resolves.toContain('simulated failure');
    await expect(page.locator('[data-testid=job-logs]').textContent()).resolves.toContain('attempt 1: 3 step(s), then fail');
    await expect(page.locator('[data-testid=job-task-link]').getAttribute('href')).resolves.toBe(`#/tasks/${task.id}`);
    await docScreenshot(page, '11-job-failed', 'job');

    await page.click('[data-testid=job-retry]');
    // The retried job fails again: two attempts' stack traces, on both pages.
    for (const p of [page, watcher]) await p.locator('[data-testid=job-stacktrace]').nth(1).waitFor({ timeout: 20_000 });
    await watcher.goto(`${t.url}/#/queues/executions/failed`);
    await watcher.locator('[data-testid=queue-action][data-action=retry]', { hasText: `olga retried simulated ${jobId}` }).waitFor();
  });

  it('promotes a delayed job so that it runs, and removes another, both seen by a second operator', async () => {
    const [later, never] = await Promise.all([
      queue.add(SIMULATED_JOB, { steps: 2 }, { delay: HOUR }),
      queue.add(SIMULATED_JOB, { steps: 2 }, { delay: HOUR }),
    ]);
    const watcher = await operatorPage('omar', '#/queues/executions/delayed');
    await watcher.locator(`[data-testid=job-list-row][data-job-id="${never.id}"]`).waitFor();
    const page = await operatorPage('olga', `#/jobs/executions/${later.id}`);
    await jobState(page, 'delayed');
    await page.click('[data-testid=job-promote]');
    await jobState(page, 'completed');
    await watcher.locator('[data-testid=queue-action][data-action=promote]').waitFor();
    await watcher.locator(`[data-testid=job-list-row][data-job-id="${later.id}"]`).waitFor({ state: 'detached' });

    await page.goto(`${t.url}/#/jobs/executions/${never.id}`);
    await jobState(page, 'delayed');
    await page.click('[data-testid=job-remove]');
    await page.locator('[data-testid=job-gone]', { hasText: `olga removed simulated ${never.id}` }).waitFor();
    await watcher.locator(`[data-testid=job-list-row][data-job-id="${never.id}"]`).waitFor({ state: 'detached' });
    await watcher.locator('[data-testid=queue-action][data-action=remove]').waitFor();
  });

  it('shows the refusal of an action the job is no longer in the state for', async () => {
    const job = await queue.add(SIMULATED_JOB, { steps: 1 }, { delay: HOUR });
    const page = await operatorPage('olga', `#/jobs/executions/${job.id}`);
    await jobState(page, 'delayed');
    await queue.bull.remove(job.id!); // gone behind the page's back
    await page.click('[data-testid=job-promote]');
    await page.locator('[data-testid=job-error]', { hasText: 'not_found' }).waitFor();
    await page.locator('[data-testid=job-gone]').waitFor();
  });

  it('pauses and resumes the queue; jobs wait while it is paused; the other operator sees it', async () => {
    const page = await operatorPage('olga', '#/queues/executions/waiting');
    const watcher = await operatorPage('omar', '#/queues/executions/waiting');
    await page.locator('[data-testid=queue-paused][data-paused=false]').waitFor();
    await page.click('[data-testid=queue-pause-toggle]');
    await page.locator('[data-testid=queue-paused][data-paused=true]').waitFor();
    await watcher.locator('[data-testid=queue-paused][data-paused=true]').waitFor();
    const job = await queue.add(SIMULATED_JOB, { steps: 1 });
    await watcher.locator(`[data-testid=job-list-row][data-job-id="${job.id}"]`).waitFor();
    expect(await job.getState()).toBe('waiting');
    await docScreenshot(watcher, '12-queue-paused', 'queue-paused');

    await page.click('[data-testid=queue-pause-toggle]');
    await watcher.locator('[data-testid=queue-paused][data-paused=false]').waitFor();
    await watcher.locator(`[data-testid=job-list-row][data-job-id="${job.id}"]`).waitFor({ state: 'detached', timeout: 20_000 });
    await expectEventually(async () => expect(await job.getState()).toBe('completed'), 20_000, 50);
    await watcher.locator('[data-testid=queue-action][data-action=resume]').waitFor();
  });

  it('pages through a long list on the server', async () => {
    await queue.bull.addBulk(Array.from({ length: 45 }, (_, n) => ({ name: SIMULATED_JOB, data: { steps: 1, n }, opts: { delay: HOUR } })));
    const page = await operatorPage('olga', '#/queues/executions/delayed');
    const info = page.locator('[data-testid=page-info]');
    await info.filter({ hasText: /^1–20 of \d+/ }).waitFor();
    expect(await page.locator('[data-testid=job-list-row]').count()).toBe(20);
    await page.click('[data-testid=next-page]');
    await info.filter({ hasText: /^21–40 of \d+ · page 2/ }).waitFor();
    await page.click('[data-testid=prev-page]');
    await info.filter({ hasText: /^1–20 of/ }).waitFor();
  });

  it('gives a user who is no operator no queue pages, and the API refuses their actions', async () => {
    const jobId = await failedJob();
    const page = await openPage(browser, errors);
    pages.push(page);
    const token = t.token('mallory');
    await signIn(page, t.url, token);
    expect(await page.locator('[data-testid=nav-queues]').count()).toBe(0);
    await page.goto(`${t.url}/#/jobs/executions/${jobId}`);
    await page.locator('[data-testid=queues-refused]').waitFor();
    expect(await page.locator('[data-testid=job-page]').count()).toBe(0);
    await page.goto(`${t.url}/#/queues/executions/failed`);
    await page.locator('[data-testid=queues-refused]').waitFor();
    expect(await page.locator('[data-testid=queue-view]').count()).toBe(0);

    const answers = await page.evaluate(async ({ token, jobId }) => {
      const call = async (method: string, path: string) => {
        const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
        return { path, status: response.status, code: ((await response.json()) as { code: string }).code };
      };
      return Promise.all([
        call('GET', '/queues/executions/jobs?state=failed'),
        call('GET', `/queues/executions/jobs/${jobId}`),
        call('POST', `/queues/executions/jobs/${jobId}/retry`),
        call('POST', `/queues/executions/jobs/${jobId}/remove`),
        call('POST', '/queues/executions/pause'),
      ]);
    }, { token, jobId });
    for (const answer of answers) expect(answer).toEqual({ path: answer.path, status: 403, code: 'forbidden' });
    expect(await queue.bull.getJobState(jobId)).toBe('failed');
    await docScreenshot(page, '13-queue-refused', 'queue-refused');
  });

  it("folds a job's progress into one timeline row, lists the task's runs, and links a run back to its task", async () => {
    const task = (await t.http('POST', '/tasks', 'olga', { title: 'Timeline that reads well' }, 'operator')).body as TaskSnapshot;
    const page = await operatorPage('olga', `#/tasks/${task.id}`);
    await page.locator('[data-testid=task-title]', { hasText: 'Timeline that reads well' }).waitFor();
    await t.http('PUT', `/tasks/${task.id}/status`, 'olga', { status: 'in_progress' }, 'operator');
    const job = await queue.add(SIMULATED_JOB, { taskId: task.id, steps: 30, stepMs: 20 });
    await t.http('POST', `/tasks/${task.id}/members`, 'olga', { userId: 'bob' }, 'operator');
    const run = (await t.http('POST', `/tasks/${task.id}/executions`, 'olga', { profile: 'demo', prompt: 'lines=5 delayMs=10' }, 'operator')).body as { id: string };

    const row = page.locator(`[data-testid=timeline] li[data-type=job][data-job-id="${job.id}"]`);
    await row.and(page.locator('[data-state=completed]')).waitFor({ timeout: 20_000 });
    expect(Number(await row.getAttribute('data-updates'))).toBeGreaterThan(3);
    expect(await page.locator(`[data-testid=timeline] li[data-job-id="${job.id}"]`).count()).toBe(1);
    await page.locator('[data-testid=timeline] li.major[data-type="task.status_changed"]').waitFor();
    await page.locator('[data-testid=timeline] li.major[data-type="task.member_added"]').waitFor();
    await page.locator(`[data-testid=timeline] li.major[data-type=job][data-job-id="${run.id}"]`).waitFor({ timeout: 20_000 });
    await page.locator(`[data-testid=task-execution][data-execution-id="${run.id}"] .status-succeeded`).waitFor({ timeout: 20_000 });
    await docScreenshot(page, '14-task-timeline-folded', 'task-timeline');

    await page.click(`[data-testid=task-execution][data-execution-id="${run.id}"] a`);
    const back = page.locator('[data-testid=execution-task-link]', { hasText: 'Timeline that reads well' });
    await back.waitFor();
    await back.click();
    await page.locator('[data-testid=task-title]', { hasText: 'Timeline that reads well' }).waitFor();
    expect(page.url()).toContain(`#/tasks/${task.id}`);
  });

  it('serves a favicon', async () => {
    const response = await fetch(`${t.url}/favicon.svg`);
    expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringContaining('svg') });
  });
});
