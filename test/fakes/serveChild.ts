/**
 * A test server as a program: `node --import tsx serveChild.ts <inputDir> <outputDir> <tempDir>` serves
 * the built-in and test nodes on 127.0.0.1 and a free port, prints `{"type":"listening","url":...}` as
 * `comfy-runner serve --json` does, and runs until SIGTERM or until its stdin closes (its parent went
 * away). Started by serveTestServer.ts's `spawnTestServer`, so that a test can SIGKILL a real process.
 */
import { serveIn } from './serveTestServer';

async function main(): Promise<void> {
  const [inputDir, outputDir, tempDir] = process.argv.slice(2);
  if (!inputDir || !outputDir || !tempDir) throw new Error('usage: serveChild.ts <input> <output> <temp>');
  // The parent owns the folders: it reads the outputs after the server is gone.
  const server = await serveIn({ inputDir, outputDir, tempDir }, [], false);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= server.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop());
  process.stdin.once('close', () => void stop());
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ type: 'listening', url: server.url })}\n`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
