// The linter: typescript-eslint's strict type-checked rules over the sources, tests, benchmark and scripts;
// `npm test` runs it and accepts no warning. The few rules set differently say why below.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tap/', '.scratch/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // numbers and booleans read naturally in messages; objects and nullish values still need a decision
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(chunk) => (out += chunk)` and `() => reply.send(...)` are how Node and Fastify callbacks read
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Fastify handlers and hooks are async by contract, whether or not they await
      '@typescript-eslint/require-await': 'off',
      // a leading underscore says "deliberately unused", e.g. a property left out of a rest object
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // tests read JSON answers and tap's subtests run on their own; what they assert is checked at run time
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js'], languageOptions: { globals: { URL: 'readonly', process: 'readonly' } } },
  // the pages' own scripts run in the browser
  { files: ['views/**/*.js'], languageOptions: { globals: { document: 'readonly', window: 'readonly' } } },
)
