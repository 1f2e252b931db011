/**
 * The job records of a store folder as another program would read them from the disk, following
 * docs/store-format.md rather than the store's own code: every `jobs/<id>.json`, then the lines of the
 * owner's journals (`jobs/journal-<n>.jsonl`, oldest first) over them, the newest line of a job winning. A
 * last line without its newline is one still being written, and is left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../../src/core/jobs/job';

/** The records in the store folder `storeDir`, by job id; empty when it has no `jobs/` yet. */
export function storedJobsOnDisk(storeDir: string): Job[] {
  const folder = join(storeDir, 'jobs');
  if (!existsSync(folder)) return [];
  const names = readdirSync(folder).filter((f) => !f.startsWith('.'));
  const records = new Map<string, Job>();
  const take = (job: Job) => records.set(job.id, job);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    take(JSON.parse(readFileSync(join(folder, name), 'utf8')) as Job);
  }
  const journalNumber = (name: string) => Number(/^journal-(\d+)\.jsonl$/.exec(name)?.[1] ?? NaN);
  const journals = names.filter((n) => !Number.isNaN(journalNumber(n)));
  for (const name of journals.sort((a, b) => journalNumber(a) - journalNumber(b))) {
    const lines = readFileSync(join(folder, name), 'utf8').split('\n');
    // The last piece follows the last newline: empty, or a line not yet whole.
    for (const line of lines.slice(0, -1)) if (line.trim() !== '') take(JSON.parse(line) as Job);
  }
  return [...records.values()];
}
