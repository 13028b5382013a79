/**
 * Loading a `.env` file at start-up, for the two entry points (`synthesize` and `npm start`). Values
 * already in the environment win over the file. Configuration modules then read `process.env` as usual.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Loads `.env` from the working directory when there is one; returns its path, or undefined. */
export function loadDotEnv(cwd: string = process.cwd()): string | undefined {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}
