// Lint rules: typescript-eslint's type-aware recommended set, plus the few
// rules that catch the bugs a queue worker actually suffers from
// (floating promises lose jobs; `any` hides contract drift).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['.scratch/', 'dist/', 'node_modules/', 'artifacts/', 'demo-out/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.js', 'demo/site/*.js', 'test/fixtures/gallery/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Scripts that run inside the story page (browser globals, no type info).
    files: ['demo/site/**/*.js', 'test/fixtures/gallery/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.browser, echarts: 'readonly', Chart: 'readonly', d3: 'readonly', lottie: 'readonly' } },
  },
  {
    files: ['*.js', 'bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['.dependency-cruiser.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Small files read well: past 400 lines a file has more than one job (split it along them).
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
);
