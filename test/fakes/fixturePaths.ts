/**
 * Where the tests find their fixtures: all inside this repository, under test/fixtures (see its README for
 * where each set came from), so that a clone of the repository alone runs the whole suite.
 */
import { resolve } from 'node:path';

/** test/fixtures. */
export const fixturesDir = resolve(__dirname, '../fixtures');

/** Recordings of a real ComfyUI 0.8.0 server: `transcripts/` (with `object_info.json`) and `workflows/`. */
export const comfyFixtures = resolve(fixturesDir, 'comfyui-0.8.0');

/** The recorded transcripts and ComfyUI 0.8.0's full `/object_info`. */
export const transcriptsDir = resolve(comfyFixtures, 'transcripts');

/** The API-format workflows the recordings ran. */
export const workflowsDir = resolve(comfyFixtures, 'workflows');

/** The engine's conformance corpus: `workflows/`, `inputs/` and the images ComfyUI wrote in `expected/`. */
export const conformanceDir = resolve(fixturesDir, 'conformance');
