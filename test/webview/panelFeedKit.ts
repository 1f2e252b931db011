/**
 * The host's side of the webview tests: a fake runner's jobs through the real RunsPanelFeed, so the
 * page gets the very messages the extension would send, and PNG files made on the spot for outputs.
 */
import { encode } from 'fast-png';
import type { Job, JobOutput } from '../../src/core/jobs/job';
import type { RunnerEvent } from '../../src/core/run/runner';
import { RunsPanelFeed } from '../../src/core/run/runsPanelFeed';
import type { HostMessage } from '../../src/shared/protocol';
import { FakeRunner } from '../fakes/fakeRunner';
import { ManualTimers } from '../fakes/manualTimers';
import { ORIGIN } from './panelPage';

/** A fake runner, a feed of the workflow `file` bound to it, and what the feed posted. */
export function panelFeed(file = '/w/poster.json') {
  const fake = new FakeRunner();
  const timers = new ManualTimers();
  const posted: HostMessage[] = [];
  const feed = new RunsPanelFeed({
    file,
    uriOf: (p) => `${ORIGIN}${p}`,
    post: (m) => posted.push(m),
    timers,
    now: () => timers.time,
  });
  feed.bind(fake);
  feed.webviewReady();
  /** Flushes the feed and hands over what it posted since the last call. */
  const take = (): HostMessage[] => {
    timers.advance(1_000);
    return posted.splice(0);
  };
  return { fake, feed, take };
}

/** An output record of a PNG `name` from node 3 at `index`. */
export function pngOutput(name: string, index = 0): JobOutput {
  return { path: name, nodeId: '3', kind: 'images', index, size: 1, sha256: 'x' };
}

/** Succeeds a job (starting it first if it is queued) with these outputs: the `job/state` events. */
export function succeedWith(fake: FakeRunner, id: string, outputs: JobOutput[]): RunnerEvent[] {
  const start = fake.stream.jobs.get(id)!.state === 'queued' ? fake.stream.start(id) : [];
  return [...start, fake.stream.move(id, 'succeed', (j: Job) => (j.outputs = outputs))];
}

/** A PNG of `width` × `height` filled with one RGBA colour, with pixel `(x, y)` set to `other` when given. */
export function png(
  width: number,
  height: number,
  fill: [number, number, number, number],
  other?: { x: number; y: number; rgba: [number, number, number, number] },
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set(fill, p * 4);
  if (other) data.set(other.rgba, (other.y * width + other.x) * 4);
  return encode({ width, height, data, channels: 4 });
}
