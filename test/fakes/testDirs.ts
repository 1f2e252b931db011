/**
 * Fresh input, output and temp folders for an engine or a run, as ComfyUI's `--input-dir`,
 * `--output-dir` and temp folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The three folders of one test. */
export interface TestDirs {
  inputDir: string;
  outputDir: string;
  tempDir: string;
}

/** New empty folders; with `inputsFrom`, every file of that folder is copied into the input folder. */
export function testDirs(inputsFrom?: string): TestDirs {
  const root = mkdtempSync(join(tmpdir(), 'comfy-test-'));
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
