/**
 * `npm run bench`: runs every benchmark in bench/ in its own process, one after the other (so that
 * peak memory and timings are each benchmark's own), and prints what each reports. Processes the
 * benchmarks start themselves (fakes, bots) live in bench/processes/ and are not run directly.
 * Pass names to run some: `npm run bench -- core sources`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
let failed = 0;
for (const name of benches) {
  console.log(`# bench/${name}.ts`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', `${name}.ts`)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`# bench/${name}.ts exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
