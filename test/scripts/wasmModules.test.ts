import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assembleWat, wasmModuleBytes, wasmModuleText, wasmSources } from '../../scripts/wasmModules';

describe('wasmModules', () => {
  for (const source of wasmSources) {
    it(`${source.module} holds what ${source.wat} assembles to (npm run build:wasm rewrites it)`, async () => {
      const bytes = await assembleWat(source.wat);
      const committed = readFileSync(source.module, 'utf8');
      assert.deepEqual(wasmModuleBytes(committed), bytes);
      assert.equal(committed, wasmModuleText(source, bytes));
    });
  }
});
