/**
 * Why each server of the pool can or cannot run a workflow, for a front end to show beside the workflow
 * in the editor: its node classes, model files and placement, checked as planning checks them (through
 * the scheduler's own capability check), with nothing queued and nothing kept. Whether a server is up,
 * enabled or busy is left out: those change by the minute and the server list shows them.
 */
import type { NewJob } from '../jobs/job';
import type { TargetVerdict } from '../scheduler/pool/capabilityCheck';
import type { NodeDefs } from '../workflow/types';
import { loadSource, type WorkflowSource } from './planJobs';

/** What one server of the pool is to a workflow. */
export interface WorkflowVerdict {
  /** The server's name in the pool. */
  server: string;
  /** `unknown` while the server's node definitions have not arrived. */
  verdict: 'capable' | 'unknown' | 'incapable';
  /** Why it cannot run it (missing node classes or model files, placement); empty otherwise. */
  reasons: string[];
}

/** What checking needs of the pool. */
export interface VerdictContext {
  /** Node definitions to convert an editor-format workflow with. */
  readonly defs: NodeDefs;
  /** The scheduler's verdicts on a job that is never added. */
  verdicts(job: NewJob): { target: string; verdict: TargetVerdict }[];
}

/**
 * Each server's verdict on the workflow, in pool order. Throws `bad_input` when the source is not a
 * workflow (as planning does).
 */
export async function workflowVerdicts(
  source: WorkflowSource,
  ctx: VerdictContext,
): Promise<WorkflowVerdict[]> {
  const w = await loadSource(source, ctx.defs);
  const job: NewJob = {
    workflow: { file: w.file, sourceHash: w.sourceHash, promptHash: w.promptHash },
    prompt: w.prompt,
    overrides: [],
    outDir: '',
  };
  return ctx.verdicts(job).map(({ target, verdict }) => ({
    server: target,
    verdict: verdict.kind,
    reasons: verdict.kind === 'incapable' ? [...verdict.reasons] : [],
  }));
}
