/**
 * `comfy-runner jobs resume --store <dir>`: takes over a store whose process died (or that has jobs
 * queued by `jobs retry` while nobody ran it) and finishes its work: jobs that were on a server are
 * taken back there under the same client id and prompt id (followed, or their outputs collected if they
 * finished meanwhile, or lost if the server forgot them), and queued jobs are run. Jobs that were on the
 * embedded engine, which died with the process, are queued again: one that was running runs again as a
 * new attempt, which is said here and recorded on the job. The pool is the one
 * the run kept in `runner.json` plus every server a job was on, or exactly the `--server`s given.
 */
import { openRunner, type RunnerOptions } from '../core/run/runner';
import { jobsToResume } from '../core/run/storeJobs';
import type { CliIo } from './output';
import { restartText } from '../core/run/jobsOverviewItems';
import { jobName, printSummary } from './progressView';
import { followToEnd } from './runCommand';
import { cliRunnerOptions, cliStoreOptions } from './runSession';

/** Options of `jobs resume`. */
export interface ResumeOptions {
  /** The pool; empty means the stored pool and the servers jobs were on. */
  servers: string[];
  /** The global cap; undefined means the stored one. */
  concurrency?: number;
  /** `--engine-slots`: prompts the embedded engine runs at once; undefined means the stored number. */
  engineSlots?: number;
  /** Limits on output downloads; each one not given is the stored one. */
  downloads?: RunnerOptions['downloads'];
  /** The local input folder; undefined means the stored one. */
  inputDir?: string;
  json: boolean;
}

/** Runs `jobs resume` on the store in `dir`; returns the exit code. */
export async function resumeJobs(dir: string, opts: ResumeOptions, io: CliIo): Promise<number> {
  // Read without taking the store, so that nothing to do opens no server.
  if ((await jobsToResume(dir, cliStoreOptions)).length === 0) {
    if (opts.json) printSummary(io, [], true);
    else io.out(`nothing to resume in ${dir}`);
    return 0;
  }
  const runner = await openRunner({
    storeDir: dir,
    unfinished: 'resume',
    servers: opts.servers,
    inputDir: opts.inputDir,
    concurrency: opts.concurrency,
    engineSlots: opts.engineSlots,
    downloads: opts.downloads,
    ...cliRunnerOptions(io),
  });
  try {
    const r = runner.restored;
    if (!opts.json) {
      const queued = r.queued.length + r.requeued.length;
      const rerun = `${r.restarted.length} run again (the runner stopped during their run)`;
      const counts = `${r.reattached.length} taken back from their servers, ${queued} queued, ${rerun}, ${r.lost.length} lost`;
      io.out(`resuming ${runner.storeDir}: ${counts}`);
      for (const job of r.restarted.flatMap((id) => runner.job(id) ?? [])) {
        const restarts = job.restarts ?? [];
        io.out(`  ${jobName(job)}: ${restartText(restarts.at(-1)!, restarts.length)}`);
      }
    }
    const seed = [...r.reattached, ...r.restarted, ...r.requeued, ...r.queued, ...r.lost];
    return await followToEnd(runner, seed, () => undefined, opts.json, io);
  } finally {
    await runner.close();
  }
}
