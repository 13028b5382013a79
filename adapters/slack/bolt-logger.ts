/**
 * Bolt's and the WebClient's logs, sent through the project's pino logger. Bolt logs strings, which
 * pino's path-based `redact` cannot see into, so every known secret value is also cut out of the text
 * here: tokens never reach the logs, whatever Bolt decides to print at debug level.
 * See https://docs.slack.dev/tools/bolt-js/concepts/logging
 */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/logger.js';

const SECRET_SHAPES = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+/g;

/** Replaces each secret (and anything shaped like a Slack token) by `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  return out.replace(SECRET_SHAPES, '[redacted]');
}

function stringify(part: unknown): string {
  if (typeof part === 'string') return part;
  if (part instanceof Error) return `${part.name}: ${part.message}`;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}

/** Creates a Bolt logger over pino, scrubbing the given secrets from every message. */
export function createBoltLogger(log: Logger, secrets: readonly string[]): BoltLogger {
  let level = LogLevel.INFO;
  let name = 'bolt';
  const write = (method: 'debug' | 'info' | 'warn' | 'error', parts: unknown[]) => {
    // Bolt logs at debug on every request; format only what will be written.
    if (!log.isLevelEnabled(method)) return;
    log[method]({ component: name }, scrubSecrets(parts.map(stringify).join(' '), secrets));
  };
  return {
    debug: (...msg: unknown[]) => write('debug', msg),
    info: (...msg: unknown[]) => write('info', msg),
    warn: (...msg: unknown[]) => write('warn', msg),
    error: (...msg: unknown[]) => write('error', msg),
    // pino's own level decides what is written; Bolt's is remembered for getLevel only.
    setLevel(next: LogLevel) {
      level = next;
    },
    getLevel: () => level,
    setName(next: string) {
      name = next;
    },
  };
}
