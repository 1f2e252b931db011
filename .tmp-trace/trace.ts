import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ComfyClient } from '../src/core/comfy/client';
import { remoteTarget } from '../src/core/scheduler/targets/remoteTarget';
import { Scheduler } from '../src/core/scheduler/scheduler';
import { startTestServer, waitPrompt } from '../test/fakes/serveTestServer';
async function main() {
  const root = mkdtempSync(join(tmpdir(), 'trace-'));
  const s = await startTestServer();
  const target = remoteTarget({ client: new ComfyClient({ baseUrl: s.url }), inputDir: root, name: 's' });
  const scheduler = new Scheduler({ targets: [{ target, slots: 1, prefetch: true }] });
  await scheduler.refreshHealth();
  const t0 = performance.now();
  const log: string[] = [];
  scheduler.subscribe((e: any) => {
    const t = (performance.now() - t0).toFixed(1);
    if (e.type === 'job/comfy') log.push(`${t} ${e.jobId.slice(0, 4)} comfy ${e.event.type} ${JSON.stringify(e.event.data?.node ?? '')}`);
    else if (e.type === 'job/state') log.push(`${t} ${e.jobId.slice(0, 4)} state ${e.from}->${e.to}`);
  });
  for (let r = 0; r < 3; r++) {
    const ids = [0, 1, 2].map((i) => scheduler.add({ workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' }, prompt: waitPrompt('tr', 100, r * 10 + i), overrides: [], outDir: join(root, `j${r}${i}`) }).id);
    await scheduler.onIdle();
    log.push(`${(performance.now() - t0).toFixed(1)} idle`);
  }
  console.log(log.join('\n'));
  scheduler.dispose(); await target.dispose(); await s.close();
}
void main();
