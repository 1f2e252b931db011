// Lint enforces the house style's layer arrows: core -> nothing of ours outside core; webview -> shared;
// cli -> core; extension -> core, shared; inside core, each folder imports only the floors below it. A
// stray `vscode` import or DOM global in core fails here.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension may import vscode.' };
const layer = (from, forbidden) =>
  forbidden.map((to) => ({
    group: [`**/${to}/**`, `../${to}/*`, `../../${to}/*`],
    message: `${from} must not import ${to}.`,
  }));

/** Each folder of src/core and the folders it may import: only those on floors below it. */
const coreFloors = {
  util: [],
  workflow: ['util'],
  protocol: ['util', 'workflow'],
  jobs: ['util', 'workflow', 'protocol'],
  store: ['util', 'workflow', 'jobs'],
  engine: ['util', 'workflow', 'protocol'],
  comfy: ['util', 'workflow', 'protocol'],
  server: ['util', 'workflow', 'protocol', 'engine'],
  scheduler: ['util', 'workflow', 'protocol', 'jobs', 'engine', 'comfy'],
  durable: ['util', 'workflow', 'protocol', 'jobs', 'store', 'comfy', 'scheduler'],
  run: ['util', 'workflow', 'protocol', 'jobs', 'store', 'engine', 'comfy', 'server', 'scheduler', 'durable'],
};
const outsideCore = layer('src/core', ['extension', 'webview', 'cli', 'shared']);
/**
 * core/run builds the runs panel's messages (runsPanelModel.ts), so it may import the types of
 * src/shared/protocol.ts, and nothing of shared at run time.
 */
const outsideCoreButShared = layer('src/core', ['extension', 'webview', 'cli']);
/** Import patterns that reach a sibling core folder from any depth inside `from`. */
const coreFolder = (from, forbidden) =>
  forbidden.map((to) => ({
    group: [`../${to}/*`, `../../${to}/*`, `../../../${to}/*`],
    message: `core/${from} stands below core/${to} and must not import it (docs/architecture.md).`,
  }));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'out/**',
      '.vscode-test/**',
      'test-results/**',
      'comfy-runs/**',
      '.tmp/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports (house style).' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode], patterns: outsideCore }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'acquireVsCodeApi'],
    },
  },
  // The floors inside core (docs/architecture.md): each folder imports only the folders below it.
  ...Object.entries(coreFloors).map(([folder, below]) => ({
    files: [`src/core/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            ...(folder === 'run' ? outsideCoreButShared : outsideCore),
            ...coreFolder(
              folder,
              Object.keys(coreFloors).filter((f) => f !== folder && !below.includes(f)),
            ),
          ],
        },
      ],
    },
  })),
  {
    files: ['src/core/run/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/shared/**'],
              allowTypeImports: true,
              message: 'core/run may import only the types of src/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: layer('src/shared', ['extension', 'webview', 'cli', 'core']) },
      ],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, { name: 'ws', message: 'Webviews never talk to a server.' }],
          patterns: [
            ...layer('src/webview', ['extension', 'cli', 'core']),
            {
              group: ['node:*', 'zod', 'zod/*'],
              message: 'Webview code runs in a browser: no Node modules, and zod (the host checks messages).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: layer('src/cli', ['extension', 'webview', 'shared']) },
      ],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: layer('src/extension', ['webview', 'cli']) }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
