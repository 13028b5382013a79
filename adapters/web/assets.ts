/**
 * The page's static files (script, stylesheet, icon) and their version, a hash of their content, so
 * browsers may cache them for a day and still fetch a changed file at once (`?v=<hash>`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the files are: beside this module in the sources, or (compiled into `dist/`, which holds no
 * copy) in `adapters/web/public/` of the nearest directory above.
 */
export function publicDir(): string {
  const here = fileURLToPath(new URL('./public/', import.meta.url));
  if (existsSync(join(here, 'app.js'))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    dir = dirname(dir);
    const candidate = join(dir, 'adapters', 'web', 'public');
    if (existsSync(join(candidate, 'app.js'))) return `${candidate}/`;
  }
  return here;
}

function version(): string {
  const hash = createHash('sha256');
  for (const file of ['app.js', 'style.css']) {
    try {
      hash.update(readFileSync(join(publicDir(), file)));
    } catch {
      hash.update(file);
    }
  }
  return hash.digest('hex').slice(0, 10);
}

/** The files' version, for their URLs. */
export const ASSET_VERSION = version();
