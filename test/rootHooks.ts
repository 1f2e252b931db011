/**
 * Mocha root hooks, loaded for every run by .mocharc.json: the temporary folders of tempDirs.ts are
 * removed after the test that made them, and the rest after the run, so a run leaves nothing in the
 * system's temporary folder. The root afterEach runs after every suite's own afterEach, once the servers
 * and stores that used the folders are closed.
 */
import type { RootHookObject } from 'mocha';
import { runEnded, testEnded, testStarted } from './fakes/tempDirs';

export const mochaHooks: RootHookObject = {
  beforeEach: testStarted,
  afterEach: testEnded,
  afterAll: runEnded,
};
