// Issue 18: the Audit page with more records than a screen holds (1,500
// seeded through the hub's AuditLog, chained like every record). Only the rows
// in view are in the page; scrolling down asks the hub for the next pages as
// they are needed, until the oldest record; a filter starts over from the
// newest matching record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const RECORDS = 1500;

describe('console: the Audit page at size', () => {
  let c: Console;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    c = await openConsole();
    await Promise.all(
      Array.from({ length: RECORDS }, (_, i) =>
        c.pipeline.hub.audit.append({
          actor: i === 7 ? 'rare-actor' : `seeded-${i}`,
          action: 'auth.login',
          outcome: 'succeeded',
          detail: { ip: '10.0.0.7', n: i },
        }),
      ),
    );
  });
  afterAll(async () => c.close());

  it('renders the rows in view only and pages from the hub as it scrolls to the oldest record', async () => {
    const { page } = c;
    const pages: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/audit') pages.push(u.search);
    });
    await page.goto(`${c.url}/audit`);
    const rows = page.getByRole('table', { name: 'Audit records' }).locator('tbody tr[data-seq]');
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    const seqs = async () =>
      (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))))).filter((n) => n > 0);
    const newest = Math.max(...(await seqs()));
    // Far fewer rows in the page than the records held or the hub's records.
    expect(await rows.count()).toBeLessThan(80);
    // Scroll to the end until the oldest seeded record shows: pages asked as the view nears the end.
    const scroller = page.getByRole('region', { name: 'Audit records, scrollable' });
    await expect
      .poll(
        async () => {
          await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
          return (await page.locator('tbody tr', { hasText: 'seeded-0' }).count()) > 0;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    expect(await rows.count()).toBeLessThan(80);
    expect(Math.min(...(await seqs()))).toBeLessThan(newest - RECORDS + 10);
    expect(pages.length).toBeGreaterThan(2);
    // A filter starts over from its newest record.
    await page.getByLabel('Actor').fill('rare-actor');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining('rare-actor')]);
  });
});
