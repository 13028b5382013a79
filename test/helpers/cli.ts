/** Runs the CLI in-process with captured output. */
import { main } from '../../src/cli/main.js';

/** What one CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `synthesize ...args` with the given environment (nothing from the real one). */
export async function runCli(args: string[], env: Record<string, string> = {}, options: { isTTY?: boolean; signal?: AbortSignal } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.isTTY ?? false },
    env: { STORE_URL: 'memory://', ...env },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout, stderr };
}
