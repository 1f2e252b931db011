/**
 * One end-to-end session: a sandbox with a fresh workspace, code-server with the packaged extension
 * installed, and Debian's Chromium showing the workbench, all stopped and removed by `close()`.
 * `useWorkbench` wires a session into a mocha suite: one per test file, as each file gets its own
 * workspace.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { prepareCodeServer, startCodeServer, type CodeServer } from './codeServer';
import { createSandbox, removeSandbox, type Sandbox } from './sandbox';
import { screenshotDir, waitForWorkbench, workbenchOn, type Workbench } from './workbench';

/** The repository's root folder. */
export const repoRoot = resolve(__dirname, '../../..');

/** The package `npm run package` builds, which the session installs. */
export const defaultVsix = resolve(repoRoot, 'dist/comfyui-runner.vsix');

/**
 * User settings that keep the workbench quiet: no welcome page, tips, update checks, telemetry or Git
 * repository scan, and no animations, so a screenshot never catches a notification halfway in.
 */
export const quietSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.reduceMotion': 'on',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.enabled': false,
};

/** The browser of shared/docs/vscode-testing.md and the flags that keep it from reaching out. */
const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** What a session opens. */
export interface SessionOptions {
  /**
   * The workspace's content: each key a path inside the workspace folder ('.' for the folder itself),
   * each value a file or folder of the repository copied there. @default {} (an empty folder)
   */
  workspace?: Record<string, string>;
  /**
   * Whether the workspace is trusted. `false` leaves workspace trust on and answers its start-up prompt
   * "No, I don't trust the authors", so the session starts in Restricted Mode. @default true
   */
  trusted?: boolean;
  /** User settings laid over {@link quietSettings}. @default {} */
  settings?: Record<string, unknown>;
  /** The package to install. @default {@link defaultVsix} */
  vsix?: string;
}

/** A running session. */
export interface Session {
  workbench: Workbench;
  sandbox: Sandbox;
  codeServer: CodeServer;
  /** Stops Chromium and code-server and removes the sandbox; throws if anything outlived them. */
  close(): Promise<void>;
}

/** Starts a session and waits for the workbench to be ready. */
export async function openSession(options: SessionOptions = {}): Promise<Session> {
  const vsix = options.vsix ?? defaultVsix;
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package first`);
  const sandbox = createSandbox();
  // What to stop, in the order things started; close() stops them last first, once.
  const stops: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const errors: unknown[] = [];
      for (const stop of [...stops].reverse().concat(() => removeSandbox(sandbox)))
        await stop().catch((e: unknown) => errors.push(e));
      if (errors.length > 0) throw errors[0];
    })());
  try {
    for (const [to, from] of Object.entries(options.workspace ?? {}))
      cpSync(resolve(repoRoot, from), resolve(sandbox.workspace, to), { recursive: true });
    prepareCodeServer(sandbox, vsix, { ...quietSettings, ...options.settings });
    const codeServer = await startCodeServer(sandbox, { trusted: options.trusted ?? true });
    stops.push(() => codeServer.stop());
    const context = await launchBrowser(sandbox);
    stops.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${codeServer.url}?folder=${encodeURIComponent(sandbox.workspace)}`);
    await waitForWorkbench(page);
    if (options.trusted === false) await declineTrust(page);
    return { workbench: workbenchOn(page), sandbox, codeServer, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}

/**
 * Chromium with its profile, and every temp folder Playwright makes for it, inside the sandbox. Playwright
 * runs in this process and asks `os.tmpdir()` for its temp folders, so TMPDIR points into the sandbox
 * while it launches.
 */
async function launchBrowser(sandbox: Sandbox): Promise<BrowserContext> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = sandbox.env.TMPDIR;
  try {
    return await chromium.launchPersistentContext(sandbox.browserProfile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      env: sandbox.env,
      artifactsDir: sandbox.artifactsDir,
      viewport: { width: 1280, height: 800 },
    });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** Answers workspace trust's start-up prompt as a cautious user does, and waits for Restricted Mode. */
async function declineTrust(page: Page): Promise<void> {
  await page
    .locator('.monaco-dialog-box .dialog-buttons .monaco-button', {
      hasText: "No, I don't trust the authors",
    })
    .click({ timeout: 20_000 });
  await page.locator('[id="status.workspaceTrust"]').waitFor({ timeout: 10_000 });
}

/**
 * What a failing test leaves in test-results/e2e/: a screenshot, code-server's output and the workbench's
 * logs (the extension host's among them), each named after the test.
 */
async function keepEvidence(session: Session, title: string): Promise<void> {
  const shot = await session.workbench.screenshot(`failed-${title}`).catch(() => undefined);
  const base = (shot ?? join(screenshotDir, 'failed')).replace(/\.png$/, '');
  mkdirSync(screenshotDir, { recursive: true });
  writeFileSync(`${base}.code-server.log`, session.codeServer.output());
  const logs = join(session.sandbox.userDataDir, 'logs');
  if (existsSync(logs)) cpSync(logs, `${base}.logs`, { recursive: true });
}

/**
 * Opens one session for the enclosing mocha suite (in `before`, closed in `after`) and returns a getter
 * for its workbench. Each test starts with no notifications; the editors, panels and files the tests
 * before it left stay. A failing test leaves its evidence in test-results/e2e/ (see keepEvidence).
 */
export function useWorkbench(options: SessionOptions = {}): () => Workbench {
  const session = useSession(options);
  return () => session().workbench;
}

/** As {@link useWorkbench}, but returns the whole session: its sandbox has the workspace's folder. */
export function useSession(options: SessionOptions = {}): () => Session {
  let session: Session | undefined;
  before(async function () {
    this.timeout(90_000);
    session = await openSession(options);
  });
  beforeEach(async function () {
    await session?.workbench.clearNotifications();
  });
  afterEach(async function () {
    if (session && this.currentTest?.state === 'failed')
      await keepEvidence(session, this.currentTest.fullTitle());
  });
  after(async function () {
    this.timeout(30_000);
    await session?.close();
    session = undefined;
  });
  return () => {
    if (!session) throw new Error('the end-to-end session did not start; see the before-all hook');
    return session;
  };
}
