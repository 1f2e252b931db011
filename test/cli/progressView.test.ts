import assert from 'node:assert/strict';
import { createJob, type Job } from '../../src/core/jobs/job';
import { initialProgress } from '../../src/core/protocol/promptProgress';
import type { CliIo } from '../../src/cli/output';
import { attachView, redrawMs } from '../../src/cli/progressView';

/** A terminal that keeps every live block it is asked to draw. */
function terminal(): { io: CliIo; drawn: string[][] } {
  const drawn: string[][] = [];
  const io = {
    out: () => undefined,
    err: () => undefined,
    isTty: true,
    status: (l: string[]) => drawn.push(l),
  };
  return { io, drawn };
}

function job(): Job {
  const prompt = { '1': { class_type: 'TestSource', inputs: {} } };
  return createJob({
    workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' },
    prompt,
    overrides: [],
    outDir: 'out',
  });
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('run: the live view on a terminal', () => {
  it('redraws at most once per interval however many events arrive', async () => {
    const { io, drawn } = terminal();
    const jobs = Array.from({ length: 50 }, job);
    const view = attachView(io, false, jobs, () => undefined);
    for (let i = 0; i < 1000; i++) {
      const j = jobs[i % jobs.length]!;
      view.event({ type: 'job/progress', jobId: j.id, progress: initialProgress(j.prompt) });
    }
    await pause(redrawMs * 1.5);
    view.dispose();
    // One at once, one for the rest of the burst once the interval is over.
    assert.equal(drawn.length, 2);
  });

  it('shows each job as its newest state event left it', async () => {
    const { io, drawn } = terminal();
    const queued = job();
    const view = attachView(io, false, [queued], () => undefined);
    const running = { ...structuredClone(queued), state: 'running' as const };
    view.event({ type: 'job/state', jobId: queued.id, from: 'queued', to: 'running', job: running });
    await pause(redrawMs * 1.5);
    view.dispose();
    assert.match(drawn.at(-1)?.[0] ?? '', /\brunning\b/);
  });

  it('draws nothing more once disposed', async () => {
    const { io, drawn } = terminal();
    const j = job();
    const view = attachView(io, false, [j], () => undefined);
    view.event({ type: 'job/progress', jobId: j.id, progress: initialProgress(j.prompt) });
    view.event({ type: 'job/progress', jobId: j.id, progress: initialProgress(j.prompt) });
    view.dispose();
    await pause(redrawMs * 1.5);
    assert.equal(drawn.length, 1);
  });
});
