/**
 * The heavy half of the extension, loaded on first use rather than at activation: the command handlers
 * and what the runner host opens (the runner, the engine's server). It is bundled on its own
 * (`dist/extensionCore.js`) so that activating the extension parses none of it; `loadCore.ts` loads
 * it. Everything here may import all of core.
 */
import { ensureLocalServer, localServerSettings } from '../core/run/localServer';
import { openRunner } from '../core/run/runner';
import type { CommandHandler } from './commandContext';
import { notifyOutcomes } from './notifications';
import { compareRuns, openRunsPanel } from './panel/panelCommands';
import {
  cancelAllQueued,
  pauseQueue,
  resumeQueue,
  retryAllFailed,
  retryJobOnAnotherServer,
  revealOutputs,
  showLog,
} from './queueCommands';
import { runOutputNode, runSplit, runSweep, runWorkflow, runWorkflowTimes } from './runCommands';
import {
  addServer,
  disableServer,
  enableServer,
  removeServer,
  setServerCredentials,
  setServerSlots,
  testServerConnection,
} from './serverCommands';
import { convertActiveWorkflow, validateActiveWorkflow } from './workflowCommands';

/** Command ids to handlers; every id here is contributed in package.json and vice versa. */
export const commandTable: Record<string, CommandHandler> = {
  'comfyuiRunner.validateWorkflow': validateActiveWorkflow,
  'comfyuiRunner.convertWorkflow': convertActiveWorkflow,
  'comfyuiRunner.runWorkflow': runWorkflow,
  'comfyuiRunner.runWorkflowTimes': runWorkflowTimes,
  'comfyuiRunner.runSweep': runSweep,
  'comfyuiRunner.runOutputNode': runOutputNode,
  'comfyuiRunner.runSplit': runSplit,
  'comfyuiRunner.revealOutputs': revealOutputs,
  'comfyuiRunner.cancelAllQueued': cancelAllQueued,
  'comfyuiRunner.retryAllFailed': retryAllFailed,
  'comfyuiRunner.retryJobOnAnotherServer': retryJobOnAnotherServer,
  'comfyuiRunner.pauseQueue': pauseQueue,
  'comfyuiRunner.resumeQueue': resumeQueue,
  'comfyuiRunner.addServer': addServer,
  'comfyuiRunner.removeServer': removeServer,
  'comfyuiRunner.enableServer': enableServer,
  'comfyuiRunner.disableServer': disableServer,
  'comfyuiRunner.setServerSlots': setServerSlots,
  'comfyuiRunner.setServerCredentials': setServerCredentials,
  'comfyuiRunner.testServerConnection': testServerConnection,
  'comfyuiRunner.showLog': showLog,
  'comfyuiRunner.openRunsPanel': openRunsPanel,
  'comfyuiRunner.compareRuns': compareRuns,
};

export { ensureLocalServer, localServerSettings, notifyOutcomes, openRunner };
export { openJobViews } from './views/jobViewsCore';
export { openPanelsOnRun, restoreRunsPanel } from './panel/runsPanels';
export { DefinitionsCache } from '../core/run/workflowDefinitions';
export { watchStore } from '../core/run/storeWatch';
export { isStoreInUse } from '../core/store/storeInUse';
export { formatProblem } from '../core/workflow/validate';
export { workflowTextProblems } from '../core/workflow/workflowProblems';
