/**
 * Debian's headless Chromium driven by puppeteer-core, with everything a page does recorded: the URL
 * of every request, console errors and warnings, uncaught errors and dialogs.
 */
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';

/** Launches the system binary; never a downloaded browser. The caller closes it. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox; /dev/shm is often tiny there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

export interface RecordedPage {
  readonly page: Page;
  readonly requests: string[];
  /** `type: text` of console errors and warnings. */
  readonly console: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  readonly errors: string[];
  /** Messages of alert/confirm/prompt dialogs, each dismissed at once. */
  readonly dialogs: string[];
  /** Top-level navigations after the first load. */
  readonly reloads: () => number;
}

/** A page in `context` that records what it does; see {@link RecordedPage}. */
export async function recordedPage(context: BrowserContext): Promise<RecordedPage> {
  const page = await context.newPage();
  const recorded = {
    page,
    requests: [] as string[],
    console: [] as string[],
    errors: [] as string[],
    dialogs: [] as string[],
  };
  let navigations = 0;
  page.on('request', (request) => recorded.requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn')
      recorded.console.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => recorded.errors.push(String(error)));
  page.on('dialog', (dialog) => {
    recorded.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  return { ...recorded, reloads: () => Math.max(navigations - 1, 0) };
}
