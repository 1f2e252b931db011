/**
 * Fresh input, output and temp folders for an engine or a run, as ComfyUI's `--input-dir`,
 * `--output-dir` and temp folder. They live under one temporary folder of tempDirs.ts, removed after the
 * test that made it.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tempDirs';

/** The three folders of one test. */
export interface TestDirs {
  inputDir: string;
  outputDir: string;
  tempDir: string;
}

/** New empty folders; with `inputsFrom`, every file of that folder is copied into the input folder. */
export function testDirs(inputsFrom?: string): TestDirs {
  const root = tempDir('comfy-test-');
  const dirs = {
    inputDir: join(root, 'input'),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d);
  if (inputsFrom) {
    for (const f of readdirSync(inputsFrom, { withFileTypes: true })) {
      if (f.isFile()) copyFileSync(join(inputsFrom, f.name), join(dirs.inputDir, f.name));
    }
  }
  return dirs;
}
