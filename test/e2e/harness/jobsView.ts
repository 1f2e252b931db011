/** The Jobs and Servers views as the end-to-end tests read them: open, expand a group, wait for a row. */
import type { Workbench } from './workbench';

/** Shows the Jobs view (and so the extension's container), whether or not it is open already. */
export async function openRunnerViews(wb: Workbench): Promise<void> {
  await wb.runCommand('ComfyUI Runner: Focus on Jobs View');
}

/** Expands a group of the Jobs tree (its row reads like "1 finished") unless it is expanded. */
export async function expand(wb: Workbench, group: string): Promise<void> {
  const row = await wb.treeRow(group);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
}

/** The accessible text of the first tree row containing `text`, once it also matches `also` (or time is up). */
export async function rowText(
  wb: Workbench,
  text: string,
  also: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Until the deadline, a tree with no such row yet (still empty, say) is waited for too.
    const row = await wb.treeRow(text).catch((e: unknown) => {
      if (Date.now() > deadline) throw e;
      return undefined;
    });
    const label = row && ((await row.getAttribute('aria-label')) ?? (await row.innerText()));
    if (label !== undefined && (also.test(label) || Date.now() > deadline)) return label;
    await new Promise((r) => setTimeout(r, 250));
  }
}
