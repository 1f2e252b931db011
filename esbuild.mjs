// One options object per bundle, as the house style asks: the extension host (in two halves), the
// command-line runner, the engine's worker thread, and the webview. `node esbuild.mjs --watch` rebuilds on change.
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.env.NODE_ENV === 'production';

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

/**
 * The extension host: Node, CommonJS, `vscode` provided by the host. What activation loads is kept
 * small; the heavy half (command handlers, the runner, the engine's server launcher) is a bundle of its
 * own, required on first use (src/extension/loadCore.ts), so activating parses none of it.
 */
const extensionHost = {
  ...common,
  entryPoints: { extension: 'src/extension/extension.ts' },
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', './extensionCore.js'],
};

/** The heavy half of the extension host, loaded on the first command. */
const extensionCore = {
  ...extensionHost,
  entryPoints: { extensionCore: 'src/extension/extensionCore.ts' },
  external: ['vscode'],
};

/** The command-line runner `comfy-runner`. */
const cli = {
  ...common,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
};

/** The engine's worker thread, loaded by path from both bundles above. */
const engineWorker = {
  ...common,
  entryPoints: { engineWorker: 'src/core/engine/worker.ts' },
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
};

/** Browser code for the webview panels: the runs panel's script and stylesheet. */
const webview = {
  ...common,
  entryPoints: [
    { in: 'src/webview/runsPanel.ts', out: 'webview/runsPanel' },
    { in: 'src/webview/runsPanel.css', out: 'webview/runsPanel' },
  ],
  outdir: 'dist',
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
};

const bundles = [extensionHost, extensionCore, cli, engineWorker, webview].filter((b) =>
  Object.values(b.entryPoints).every((p) => existsSync(p.in ?? p)),
);

if (watch) {
  const contexts = await Promise.all(bundles.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(bundles.map((b) => esbuild.build(b)));
}
