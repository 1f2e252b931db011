/**
 * Driving the VS Code workbench the way a user does: the command palette, Quick Open, notifications,
 * tree rows, the Problems panel and screenshots. The selectors are the workbench's own DOM classes and
 * ARIA labels of VS Code 1.100 (code-server 4.100.3; shared/docs/vscode-testing.md lists the proven
 * ones). Each helper waits for what it looks for and, when it does not come, fails saying what was there.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';

/** Where screenshots go: test-results/e2e/ in the repository (gitignored). */
export const screenshotDir = resolve(__dirname, '../../../test-results/e2e');

/** How long a helper waits for the workbench to show something. */
const waitMs = 10_000;

/** The workbench of one session and the helpers that drive it. */
export interface Workbench {
  /** The Playwright page, for what the helpers do not cover. */
  page: Page;
  /** Runs `Category: Title` from the command palette (F1), retrying the palette when the row never shows. */
  runCommand(title: string): Promise<void>;
  /** Waits for a notification toast containing `text` and returns its whole message. */
  notification(text: string): Promise<string>;
  /** Dismisses every notification, so the next test sees only its own. */
  clearNotifications(): Promise<void>;
  /** Waits for a row containing `text` in a tree or list of a side bar or panel view, and returns it. */
  treeRow(text: string): Promise<Locator>;
  /** Opens a file by its path relative to the workspace folder through Quick Open, and waits for its tab. */
  openFile(relativePath: string): Promise<void>;
  /** Waits for the active editor tab to be one whose label starts with `title`, and returns the tab. */
  activeTab(title: string): Promise<Locator>;
  /** The text of the active editor's visible lines, one string per line. */
  editorLines(): Promise<string[]>;
  /** Waits for a CodeLens of the active editor containing `text` (up to `timeoutMs`) and returns its text. */
  codeLens(text: string, timeoutMs?: number): Promise<string>;
  /** Shows the Problems panel, waits for a problem containing `text` and returns the row's text. */
  problem(text: string): Promise<string>;
  /** Saves a screenshot of the whole workbench as test-results/e2e/`name`.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Answers the input box or quick pick a command opened: types `text` and presses Enter. */
  answerInput(text: string): Promise<void>;
  /** Reloads the window (Developer: Reload Window) and waits for the workbench to be back. */
  reload(): Promise<void>;
}

/** The helpers over a page that shows a loaded workbench. */
export function workbenchOn(page: Page): Workbench {
  return {
    page,
    runCommand: (title) => runCommand(page, title),
    answerInput: (text) => answerInput(page, text),
    reload: () => reload(page),
    notification: (text) => notification(page, text),
    clearNotifications: () => runCommand(page, 'Notifications: Clear All Notifications'),
    treeRow: (text) => treeRow(page, text),
    openFile: (relativePath) => openFile(page, relativePath),
    activeTab: (title) => activeTab(page, title),
    editorLines: () => editorLines(page),
    codeLens: (text, timeoutMs) => codeLens(page, text, timeoutMs),
    problem: (text) => problem(page, text),
    screenshot: (name) => screenshot(page, name),
  };
}

/** Waits until the workbench is laid out and its activity bar is there. */
export async function waitForWorkbench(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.activitybar').waitFor({ timeout: timeoutMs });
}

/**
 * The DOM members the callbacks that run in the page use. The root tsconfig has no DOM lib (src/core must
 * not see one), which leaves Playwright's element types `any`; this names what the callbacks rely on.
 */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { top: number };
}

/** A CSS string literal; JSON's escapes of quotes and backslashes are CSS's too. */
const css = (s: string): string => JSON.stringify(s);

/** Rows whose ARIA label is `label` alone or followed by `, <more>` (a keybinding, "recently used"). */
const labelled = (rows: string, label: string): string =>
  `${rows}[aria-label=${css(label)}], ${rows}[aria-label^=${css(`${label}, `)}]`;

const quickInputRows = '.quick-input-widget .quick-input-list .monaco-list-row';

async function textsOf(page: Page, selector: string, attribute?: string): Promise<string[]> {
  return page
    .locator(selector)
    .evaluateAll(
      (els: PageElement[], attr) => els.map((e) => (attr ? e.getAttribute(attr) : e.textContent) ?? ''),
      attribute,
    );
}

/**
 * Opens the quick input with F1, types `query` and picks the row labelled `label`: Enter when it is the
 * focused row, else a click. Right after start-up a first try can show nothing (the rows are attached
 * before they are laid out, or the extension is still registering its commands), so the whole palette is
 * tried up to three times before failing with the rows it offered.
 */
async function pickFromQuickInput(page: Page, query: string, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  let offered: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: waitMs });
    await input.fill(query);
    const row = page.locator(labelled(quickInputRows, label)).first();
    try {
      await row.waitFor({ state: 'attached', timeout: waitMs / 2 });
      if ((await row.getAttribute('class'))?.split(' ').includes('focused')) await input.press('Enter');
      else await row.click({ timeout: waitMs / 2 });
      await input.waitFor({ state: 'hidden', timeout: waitMs });
      return;
    } catch {
      offered = await textsOf(page, quickInputRows, 'aria-label');
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(
    `quick input: no row ${css(label)} for ${css(query)} in 3 tries; it offered ${css(offered.join(' | '))}`,
  );
}

async function answerInput(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: waitMs });
  await input.fill(text);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: waitMs });
}

async function reload(page: Page): Promise<void> {
  await runCommand(page, 'Developer: Reload Window');
  await page.waitForLoadState('load');
  await waitForWorkbench(page);
}

async function runCommand(page: Page, title: string): Promise<void> {
  await pickFromQuickInput(page, `>${title}`, title);
}

async function openFile(page: Page, relativePath: string): Promise<void> {
  // Quick Open labels a file "<name> <folder>" ("poster.json api"), or "<name>" at the workspace root.
  const name = basename(relativePath);
  const folder = dirname(relativePath);
  await pickFromQuickInput(page, relativePath, folder === '.' ? name : `${name} ${folder}`);
  await activeTab(page, name);
}

async function activeTab(page: Page, title: string): Promise<Locator> {
  const tabs = '.editor-group-container.active .tabs-container .tab';
  const tab = page.locator(`${tabs}.active[aria-label^=${css(title)}]`);
  try {
    await tab.waitFor({ timeout: waitMs });
  } catch {
    const open = await textsOf(page, tabs, 'aria-label');
    throw new Error(`the active tab is not ${css(title)}; open tabs: ${css(open.join(' | '))}`);
  }
  return tab;
}

async function editorLines(page: Page): Promise<string[]> {
  // Monaco renders only the lines in view, in DOM order that need not be line order: sort by position.
  const lines = await page
    .locator('.editor-group-container.active .monaco-editor .view-lines .view-line')
    .evaluateAll((els: PageElement[]) =>
      els
        .map((e) => ({ top: e.getBoundingClientRect().top, text: e.textContent ?? '' }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
  return lines.map((l) => l.replace(/\u00a0/g, ' '));
}

async function notification(page: Page, text: string): Promise<string> {
  const messages = '.notifications-toasts .notification-list-item-message';
  const toast = page.locator(messages).filter({ hasText: text }).first();
  try {
    await toast.waitFor({ state: 'visible', timeout: waitMs });
  } catch {
    const shown = await textsOf(page, messages);
    throw new Error(`no notification containing ${css(text)}; shown: ${css(shown.join(' | '))}`);
  }
  return (await toast.textContent()) ?? '';
}

async function treeRow(page: Page, text: string): Promise<Locator> {
  const rows = '.pane-body .monaco-list-row';
  const row = page.locator(rows).filter({ hasText: text }).first();
  try {
    await row.waitFor({ state: 'visible', timeout: waitMs });
  } catch {
    const shown = await textsOf(page, rows, 'aria-label');
    throw new Error(`no tree row containing ${css(text)}; shown: ${css(shown.join(' | '))}`);
  }
  return row;
}

async function codeLens(page: Page, text: string, timeoutMs = waitMs): Promise<string> {
  const lenses = '.editor-group-container.active .monaco-editor .codelens-decoration';
  const lens = page.locator(lenses).filter({ hasText: text }).first();
  try {
    await lens.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const shown = await textsOf(page, lenses);
    throw new Error(`no CodeLens containing ${css(text)}; the editor shows: ${css(shown.join(' | '))}`);
  }
  return (await lens.textContent()) ?? '';
}

async function problem(page: Page, text: string): Promise<string> {
  const rows = '.markers-panel .monaco-list-row';
  if (!(await page.locator('.markers-panel').isVisible()))
    await runCommand(page, 'Problems: Focus on Problems View');
  const row = page.locator(rows).filter({ hasText: text }).first();
  try {
    await row.waitFor({ state: 'visible', timeout: waitMs });
  } catch {
    const shown = await textsOf(page, rows, 'aria-label');
    throw new Error(
      `no problem containing ${css(text)}; the Problems panel shows: ${css(shown.join(' | '))}`,
    );
  }
  return (await row.getAttribute('aria-label')) ?? (await row.textContent()) ?? '';
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path });
  return path;
}
