// Lint enforces the house style's layer arrows: core -> nothing of ours outside core; webview -> shared;
// cli -> core; extension -> core, shared. A stray `vscode` import or DOM global in core fails here.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension may import vscode.' };
const layer = (from, forbidden) =>
  forbidden.map((to) => ({
    group: [`**/${to}/**`, `../${to}/*`, `../../${to}/*`],
    message: `${from} must not import ${to}.`,
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
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: layer('src/core', ['extension', 'webview', 'cli', 'shared']) },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'acquireVsCodeApi'],
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
          patterns: [...layer('src/webview', ['extension', 'cli', 'core']), 'node:*'],
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
