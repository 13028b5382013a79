#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm install`).
import { main } from '../dist/src/cli/main.js';
import { loadDotEnv } from '../dist/src/env-file.js';

loadDotEnv();
process.exitCode = await main(process.argv.slice(2));
