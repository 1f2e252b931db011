/** `npm run build:wasm`: assembles every `.wat` source into its TypeScript module (scripts/wasmModules.ts). */
import { writeFileSync } from 'node:fs';
import { assembleWat, wasmModuleText, wasmSources } from './wasmModules';

async function main(): Promise<void> {
  for (const source of wasmSources) {
    const bytes = await assembleWat(source.wat);
    writeFileSync(source.module, wasmModuleText(source, bytes));
    console.log(`${source.wat} -> ${source.module} (${bytes.length} bytes)`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
