/**
 * Logging: pino everywhere, to stderr (stdout belongs to the CLI's report), with secrets redacted.
 * Use `logger.child({ runId, stage })` for context.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactSecrets } from './text/redact.js';

/** Paths pino censors wherever they appear in a logged object (tokens, keys, auth headers). */
export const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["x-api-key"]',
  'headers["x-slack-signature"]',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.apiKey',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers["x-api-key"]',
  'config.SLACK_BOT_TOKEN',
  'config.SLACK_APP_TOKEN',
  'config.SLACK_SIGNING_SECRET',
  'config.DISCORD_TOKEN',
  'config.LLM_API_KEY',
  'config.SEMANTIC_SCHOLAR_API_KEY',
  'config.NCBI_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'DISCORD_TOKEN',
  'LLM_API_KEY',
  'SEMANTIC_SCHOLAR_API_KEY',
  'NCBI_API_KEY',
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where to write; defaults to stderr. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
  name?: string;
  /**
   * Secret values (keys, tokens, a store password) cut out of every line written, wherever they appear:
   * in a message, an error's message or stack, or a nested field that `redact`'s paths do not name.
   */
  secrets?: readonly string[];
}

/**
 * Creates the process logger. Secrets under {@link REDACT_PATHS} are written as `[redacted]`, and so is
 * every occurrence of a value in `secrets` (the finished line is scrubbed just before it is written).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  const secrets = options.secrets?.filter(Boolean) ?? [];
  return pino(
    {
      name: options.name ?? 'synthesize',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
      ...(secrets.length > 0 ? { hooks: { streamWrite: (line: string) => redactSecrets(line, secrets) } } : {}),
    },
    destination as pino.DestinationStream,
  );
}

/** A logger that writes nothing, for tests and library callers that bring none. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
