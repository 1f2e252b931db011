/**
 * Loads the heavy half of the extension (extensionCore.ts) on first use. Bundled, it is
 * `dist/extensionCore.js` beside `dist/extension.js`, which esbuild leaves out of the activation bundle
 * (the path is not one esbuild follows); run from source, a TypeScript loader resolves the same path to
 * the `.ts` file. Only types of it may be imported anywhere the activation bundle reaches.
 */

/** Where the heavy half is, beside this file (the bundle) or as its source under a TypeScript loader. */
const CORE = './extensionCore.js';

/** The heavy half's exports. */
export type ExtensionCore = typeof import('./extensionCore');

let loaded: ExtensionCore | undefined;

/** The heavy half, loaded once. */
export function loadCore(): ExtensionCore {
  // A path in a variable: neither esbuild nor the cycle check follows it, since this edge is on purpose
  // lazy (the heavy half imports modules that activation loads too).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require(CORE) as ExtensionCore;
  return loaded;
}
