/** Mocha root hooks of the end-to-end suite (test/e2e/mocharc.json requires this file). */
import { rmSync } from 'node:fs';
import { screenshotDir } from './workbench';

/** test-results/e2e/ holds the screenshots of the last run only, so none is mistaken for a newer one. */
export const mochaHooks = {
  beforeAll(): void {
    rmSync(screenshotDir, { recursive: true, force: true });
  },
};
