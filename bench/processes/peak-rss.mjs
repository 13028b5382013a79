// Preloaded into a CLI run by bench/corpus.ts: writes the process's peak RSS (MB) to file descriptor 3 at exit.
import { writeSync } from 'node:fs';
import process from 'node:process';

process.on('exit', () => {
  try {
    writeSync(3, `${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
  } catch {
    // No descriptor 3: not run by the bench.
  }
});
