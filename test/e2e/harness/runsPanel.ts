/** The runs panel as the end-to-end tests read it: the page inside its webview, and waiting on it. */
import type { FrameLocator, Locator } from 'playwright-core';
import type { Workbench } from './workbench';

/** How long a helper waits for the panel to show something. */
const waitMs = 60_000;

/**
 * The page of the runs panel on screen. A webview is two nested iframes; only the visible panel's
 * outer frame is `.ready` (a hidden one keeps no page: the panel does not retain its context).
 */
export function runsPanel(wb: Workbench): FrameLocator {
  return wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe');
}

/**
 * Waits until `locator` matches `count` elements (or more, with `atLeast`) and returns their texts;
 * fails saying how many there were and what they read.
 */
export async function waitForCount(
  locator: Locator,
  count: number,
  what: string,
  options: { atLeast?: boolean; timeoutMs?: number } = {},
): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? waitMs);
  for (;;) {
    const texts = await locator.allInnerTexts().catch(() => [] as string[]);
    if (options.atLeast ? texts.length >= count : texts.length === count) return texts;
    if (Date.now() > deadline)
      throw new Error(
        `expected ${count} ${what} in the runs panel, found ${texts.length}: ${texts.join(' | ')}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
