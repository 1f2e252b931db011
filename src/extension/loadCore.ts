/**
 * Loads the heavy half of the extension (extensionCore.ts) on first use. Bundled, it is
 * `dist/extensionCore.js` beside `dist/extension.js`, which esbuild leaves out of the activation bundle
 * (esbuild.mjs marks the path external); run from source, a TypeScript loader resolves the same path to
 * the `.ts` file. Only types of it may be imported anywhere the activation bundle reaches.
 */

/** The heavy half's exports. */
export type ExtensionCore = typeof import('./extensionCore');

let loaded: ExtensionCore | undefined;

/** The heavy half, loaded once. */
export function loadCore(): ExtensionCore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./extensionCore.js') as ExtensionCore;
  return loaded;
}
