/**
 * A second process on a job store, for the two-process tests: `node --import tsx storeClient.ts <dir>
 * <command> [args]`. It prints one JSON line per step, so the test can follow it.
 *
 * Commands:
 * - `request <op> <jobId>`: asks the owner, then waits for the answer and prints it.
 * - `acquire`: tries to take ownership, prints the outcome, releases and exits.
 * - `acquire-and-crash`: takes ownership and exits without releasing, as a crashed scheduler would.
 * - `put <jobJson>`: takes ownership, writes the job, releases.
 */
import { openStore } from '../../src/core/store/openStore';
import type { Job } from '../../src/core/jobs/job';
import type { StoreRequestOp } from '../../src/core/store/storeRequests';

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const [dir, command, ...args] = process.argv.slice(2);
  const store = await openStore(dir, { pollMs: 50 });
  switch (command) {
    case 'request': {
      const request = await store.request(args[0] as StoreRequestOp, args[1]);
      say({ requested: request.id });
      say({ answer: await store.waitForAnswer(request.id, AbortSignal.timeout(15_000)) });
      break;
    }
    case 'acquire':
      say({ result: await store.acquire() });
      break;
    case 'acquire-and-crash':
      say({ result: await store.acquire() });
      process.exit(0);
      break;
    case 'put': {
      say({ result: await store.acquire() });
      await store.put(JSON.parse(args[0]) as Job);
      say({ put: true });
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
  await store.close();
}

main().catch((e: unknown) => {
  say({ error: String(e) });
  process.exitCode = 1;
});
