/**
 * The runs panel's real page in headless Chromium, without VS Code: the HTML the host makes
 * (runsPanelHtml.ts), the webview bundle built from src/webview with esbuild, both served on a made-up
 * origin by `page.route`, and `acquireVsCodeApi` stubbed to record what the page posts and keeps. The
 * test plays the host with {@link PanelPage.send}. One browser per test file; a page per test.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runsPanelHtml } from '../../src/extension/panel/runsPanelHtml';
import type { HostMessage, PanelState, WebviewMessage } from '../../src/shared/protocol';
import { tempDir } from '../fakes/tempDirs';

/** The made-up origin the page is served from; also its `cspSource`. */
export const ORIGIN = 'https://panel.test';

let bundle: Promise<string> | undefined;

/**
 * Builds the webview bundle once per process; resolves to the folder holding runsPanel.js and .css.
 * Call it first in a suite's `before` hook, so that its folder outlives every test of the file.
 */
export function buildBundle(): Promise<string> {
  bundle ??= (async () => {
    const out = tempDir('panel-bundle-');
    await esbuild.build({
      entryPoints: [
        { in: 'src/webview/runsPanel.ts', out: 'runsPanel' },
        { in: 'src/webview/runsPanel.css', out: 'runsPanel' },
      ],
      outdir: out,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      logLevel: 'silent',
    });
    return out;
  })();
  return bundle;
}

/** Debian's Chromium, which `npm run test:setup` installs. */
const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Chromium with its state in a private folder. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the runs panel's page tests need Debian's Chromium at ${CHROMIUM}: run npm run test:setup once`,
    );
  }
  const home = tempDir('panel-chromium-');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: home,
      XDG_CACHE_HOME: home,
      XDG_DATA_HOME: home,
      XDG_RUNTIME_DIR: home,
    },
  });
}

/** The page's window as the page-side callbacks use it (typed here so that Node-typed code can use them). */
export interface PageWindow {
  postMessage(message: unknown, origin: string): void;
}

/** The page and the host's side of it. */
export interface PanelPage {
  page: Page;
  /** Sends messages to the page, as the host's `postMessage`. */
  send(...messages: HostMessage[]): Promise<void>;
  /** What the page posted to the host so far. */
  posted(): Promise<WebviewMessage[]>;
  /** What the page last kept with `setState`. */
  state(): Promise<PanelState | undefined>;
  /** Scripts that ran although they should not have (set by the tests' hostile strings). */
  pwned(): Promise<number>;
  /** Errors the page threw or logged, and CSP violations. */
  readonly errors: string[];
}

/** Opens the panel's page, with `files` (path -> bytes) served on the origin and `state` kept from before. */
export async function openPanelPage(
  browser: Browser,
  options: { files?: Map<string, Uint8Array>; state?: PanelState } = {},
): Promise<PanelPage> {
  const dir = await buildBundle();
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  // A step that cannot happen fails in seconds with its own message, not at the test's timeout.
  page.setDefaultTimeout(5_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // Outputs a test did not make answer 404, which is no fault of the page.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  // A string, not a function: the test's TypeScript loader would wrap a function's names in helpers the
  // page does not have.
  await page.addInitScript(`
    window.__posted = [];
    window.__state = ${JSON.stringify(options.state ?? null)} ?? undefined;
    window.__pwned = 0;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(m),
      getState: () => window.__state,
      setState: (s) => { window.__state = s; },
    });
  `);
  const html = runsPanelHtml({
    cspSource: ORIGIN,
    nonce: 'testnonce0123456789',
    scriptUri: `${ORIGIN}/dist/runsPanel.js`,
    styleUri: `${ORIGIN}/dist/runsPanel.css`,
  });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (path.startsWith('/dist/')) {
      const file = join(dir, path.slice('/dist/'.length));
      const type = file.endsWith('.css') ? 'text/css' : 'text/javascript';
      return route.fulfill({ contentType: type, body: await readFile(file) });
    }
    const bytes = options.files?.get(path);
    if (bytes) return route.fulfill({ contentType: 'image/png', body: Buffer.from(bytes) });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() =>
    (globalThis as unknown as { __posted: { type: string }[] }).__posted.some(
      (m) => m.type === 'webview/ready',
    ),
  );
  return {
    page,
    errors,
    send: async (...messages) => {
      // All in one go, then a sentinel: messages from one window arrive in order, so once the sentinel
      // has, the page has taken in every message before it.
      await page.evaluate(
        (batch) =>
          new Promise<void>((resolve) => {
            const w = globalThis as unknown as PageWindow & {
              addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
            };
            w.addEventListener('message', (e) => {
              if (e.data === 'test/flushed') resolve();
            });
            for (const m of batch) w.postMessage(m, '*');
            w.postMessage('test/flushed', '*');
          }),
        messages,
      );
    },
    posted: () => page.evaluate(() => (globalThis as unknown as { __posted: WebviewMessage[] }).__posted),
    state: () => page.evaluate(() => (globalThis as unknown as { __state: PanelState | undefined }).__state),
    pwned: () => page.evaluate(() => (globalThis as unknown as { __pwned: number }).__pwned),
  };
}
