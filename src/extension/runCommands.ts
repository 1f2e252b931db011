/**
 * Placeholders for the run commands the lenses, the editor title and the palette offer; the runner
 * host's commands replace this file. Each is given the workflow's URI (or, for Reveal Outputs, a job id).
 */
import * as vscode from 'vscode';

function notYet(what: string): Promise<void> {
  void vscode.window.showInformationMessage(`ComfyUI Runner: ${what} is not yet available.`);
  return Promise.resolve();
}

/** Queues one run of a workflow. */
export function runWorkflow(): Promise<void> {
  return notYet('Run Workflow');
}

/** Queues a workflow several times. */
export function runWorkflowTimes(): Promise<void> {
  return notYet('Run Workflow N Times');
}

/** Queues one run per combination of chosen input values. */
export function runSweep(): Promise<void> {
  return notYet('Run Sweep');
}

/** Reveals the run folder of a job. */
export function revealOutputs(): Promise<void> {
  return notYet('Reveal Outputs');
}
