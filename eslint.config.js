// ESLint flat config: typescript-eslint's recommended rules plus the house rules of STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.scratch/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports (STYLE.md).' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@slack/*', 'discord.js', '@discordjs/*', '**/adapters/**'] },
      ],
    },
  },
  { files: ['scripts/**', 'test/**', 'bin/**', 'bench/**'], rules: { 'no-console': 'off' } },
  { files: ['bin/**'], languageOptions: { globals: { process: 'readonly' } } },
  // Tool configuration files must export a default.
  { files: ['*.config.js', '*.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
