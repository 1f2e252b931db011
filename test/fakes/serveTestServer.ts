/**
 * A `comfy-runner serve` instance for integration tests and benchmarks: the same server as the command
 * serves, over the built-in nodes plus the test nodes of testNodes.ts (TestDelay is the "wait" node: it
 * waits a set number of ms on a timer, so jobs get a fixed length without using a core). The test nodes
 * are registered here only, never in the built-in registry.
 *
 * Two ways to start one: in this process ({@link startTestServer}), cheap, for most tests and the
 * makespan benchmark; or as a child process ({@link spawnTestServer}, running serveChild.ts), for a test
 * that must kill a server the hard way (SIGKILL) while it runs a prompt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createEngine } from '../../src/core/engine/executor';
import { builtinNodes, createRegistry, type NodeRegistry } from '../../src/core/engine/registry';
import type { NodeImpl } from '../../src/core/engine/types';
import { startComfyServer } from '../../src/core/server/comfyServer';
import type { ApiPrompt } from '../../src/core/workflow/types';
import { testDirs, type TestDirs } from './testDirs';
import { apiNode, testNodes } from './testNodes';

/** A running test server and its folders. */
export interface TestServer extends TestDirs {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (the child process, for a spawned one) and removes its folders. */
  close(): Promise<void>;
}

/** A spawned test server, which can also be killed without warning. */
export interface ChildTestServer extends TestServer {
  readonly child: ChildProcess;
  /** Sends SIGKILL and resolves once the process is gone: no clean-up, no goodbye to its clients. */
  kill(): Promise<void>;
}

/** The built-in nodes, the test nodes, and any extra classes one server should have and others not. */
export function testServerNodes(extra: readonly NodeImpl[] = []): NodeRegistry {
  return createRegistry([...builtinNodes.values()], testNodes, [...extra]);
}

/** Starts a test server in this process on 127.0.0.1 and a free port, in fresh folders. */
export async function startTestServer(extraNodes: readonly NodeImpl[] = []): Promise<TestServer> {
  return serveIn(testDirs(), extraNodes, true);
}

/**
 * Serves the test nodes over `dirs`. Every node runs on the main thread: the test nodes are not known to
 * the engine's worker threads, and the waits that tests use cost no CPU anyway.
 */
export async function serveIn(
  dirs: TestDirs,
  extraNodes: readonly NodeImpl[],
  removeDirs: boolean,
): Promise<TestServer> {
  const engine = createEngine({ ...dirs, nodes: testServerNodes(extraNodes), workers: false });
  const server = await startComfyServer({ ...dirs, host: '127.0.0.1', port: 0, engine });
  const close = async () => {
    await server.close();
    await engine.dispose();
    if (removeDirs) rmSync(dirname(dirs.inputDir), { recursive: true, force: true });
  };
  return { ...dirs, url: server.url, close };
}

const childScript = resolve(__dirname, 'serveChild.ts');

/** Waits for the child's `listening` line; rejects if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => done((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => fail(new Error(`the test server exited with ${code} before listening`)));
  });
}

/**
 * Starts a test server as a child process (serveChild.ts under tsx). Its stdin stays open as a lifeline:
 * the child exits when it closes, so a crashed test run leaves no server behind.
 */
export async function spawnTestServer(): Promise<ChildTestServer> {
  const dirs = testDirs();
  const args = ['--import', 'tsx', childScript, dirs.inputDir, dirs.outputDir, dirs.tempDir];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const url = await listeningUrl(child);
  const close = async () => {
    await stop('SIGTERM');
    rmSync(dirname(dirs.inputDir), { recursive: true, force: true });
  };
  return { ...dirs, url, child, kill: () => stop('SIGKILL'), close };
}

/**
 * A prompt of fixed length: TestSource(`value`) -> TestDelay(`ms`) -> TestCounter(`tag`), which writes
 * one file `<tag>_0000n_.txt` on the server. `value` makes each prompt's cache key its own, so a server
 * never answers a repeat from its cache without waiting.
 */
export function waitPrompt(tag: string, ms: number, value: number): ApiPrompt {
  return {
    '1': apiNode('TestSource', { value }),
    '2': apiNode('TestDelay', { ms, input: ['1', 0] }),
    '3': apiNode('TestCounter', { tag, input: ['2', 0] }),
  };
}
