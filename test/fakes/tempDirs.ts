/**
 * Temporary folders for tests, each removed when it is no longer needed: a folder made while a test runs
 * (in the test or in a beforeEach or afterEach hook) is removed when that test ends; one made outside any
 * test (as a file loads, or in a suite's before hook, for the whole suite) is removed when the run ends.
 * test/rootHooks.ts, which .mocharc.json loads, tells this module when each test starts and ends; a
 * process that is not a mocha run (a benchmark) removes its folders as it exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Folders made while the current test runs. */
const ofTest: string[] = [];
/** Folders made outside any test, for a whole suite or file. */
const ofRun: string[] = [];
let testRunning = false;

/** A new empty folder `<prefix>XXXXXX` under the system's temporary folder, removed for the caller. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  (testRunning ? ofTest : ofRun).push(dir);
  return dir;
}

/** Called as each test starts: folders made from now on belong to it. */
export function testStarted(): void {
  testRunning = true;
}

/** Called as each test ends, after its own hooks: removes the folders it made. */
export function testEnded(): void {
  testRunning = false;
  removeAll(ofTest);
}

/** Called as the run ends: removes every folder still there. */
export function runEnded(): void {
  removeAll(ofTest);
  removeAll(ofRun);
}

function removeAll(dirs: string[]): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

process.once('exit', runEnded);
