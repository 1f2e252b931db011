/**
 * What a job runs of its prompt. A part of a split run carries the whole run's prompt (so that the files
 * it saves carry it, as the whole run's would) and runs only its outputs and their ancestors; its node
 * progress counts those.
 */
import { partialPrompt } from '../workflow/partialPrompt';
import type { ApiPrompt } from '../workflow/types';
import type { Job } from './job';

/** The nodes of the job's prompt that it runs: all of them, or a split part's outputs and their ancestors. */
export function nodesRun(job: Pick<Job, 'prompt' | 'split'>): ApiPrompt {
  return job.split ? partialPrompt(job.prompt, job.split.outputs) : job.prompt;
}
