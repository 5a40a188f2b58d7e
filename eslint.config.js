// ESLint 9 flat config: typescript-eslint's recommended rules over the whole tree (`npm run lint`,
// run by `npm test`). Type-aware rules are left out: they need a full program per file, which
// costs minutes on the 2-core machines; `tsc` (strict) runs anyway.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'web/dist/**', '.urna/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // the pages run in the browser
  { files: ['web/src/**'], languageOptions: { globals: { ...globals.browser } } },
  // k6 scripts run in k6's runtime, which provides __ENV, __VU and friends
  {
    files: ['scripts/load/k6/**'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
  },
  // CommonJS config files
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
);
