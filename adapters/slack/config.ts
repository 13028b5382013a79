/**
 * The Slack adapter's configuration: its own zod schema over the environment, parsed once at start-up.
 * `SLACK_BOT_TOKEN` enables the adapter; `SLACK_APP_TOKEN` selects Socket Mode, otherwise HTTP mode
 * needs `SLACK_SIGNING_SECRET` and listens on `PORT`. `SLACK_API_URL` overrides the Web API base URL
 * (tests and proxies). See https://docs.slack.dev/apis/ for the token kinds.
 */
import { z } from 'zod';
import { parseEnv } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** Schema of the Slack variables. */
export const SlackEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .regex(/^xoxb-/, { error: 'must be a bot token starting with xoxb- (OAuth & Permissions page of your Slack app)' })
      .optional(),
  ),
  SLACK_SIGNING_SECRET: z.preprocess(emptyToUndefined, z.string().trim().optional()),
  SLACK_APP_TOKEN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .regex(/^xapp-/, { error: 'must be an app-level token starting with xapp- (Basic Information > App-Level Tokens, scope connections:write)' })
      .optional(),
  ),
  SLACK_API_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' })
      .default('https://slack.com/api/')
      .transform((value) => (value.endsWith('/') ? value : `${value}/`)),
  ),
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a port number' })
      .int({ error: 'must be a port number' })
      .min(0, { error: 'must be between 0 and 65535' })
      .max(65535, { error: 'must be between 0 and 65535' })
      .default(3000),
  ),
});

/** The Slack adapter's settings. Secrets stay in this object; it is never logged. */
export interface SlackConfig {
  botToken: string;
  /** HTTP mode: verifies the `X-Slack-Signature` of every request. */
  signingSecret?: string;
  /** Socket Mode when set. */
  appToken?: string;
  /** Web API base URL, ending in `/`. */
  apiUrl: string;
  port: number;
  mode: 'http' | 'socket';
}

const SECRET_VARIABLES = new Set(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN']);

// parseEnv quotes the bad value in its message; a mistyped token is still a secret, so it is cut.
function parseSecretsSafely(env: Record<string, string | undefined>): z.infer<typeof SlackEnvSchema> {
  try {
    return parseEnv(SlackEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError && SECRET_VARIABLES.has(error.variable)) {
      const reason = error.message.slice(error.variable.length + 2).replace(/ \(got "[\s\S]*"\)\.$/, '.');
      throw new ConfigError(error.variable, reason);
    }
    throw error;
  }
}

/** The variables that enable the Slack adapter, for `npm start`'s "nothing configured" message. */
export const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)'] as const;

/**
 * Reads the Slack settings. Undefined when `SLACK_BOT_TOKEN` is unset (the adapter is off); throws a
 * `ConfigError` naming the variable when a value is bad or HTTP mode lacks its signing secret.
 */
export function loadSlackConfig(env: Record<string, string | undefined>): SlackConfig | undefined {
  const parsed = parseSecretsSafely(env);
  if (!parsed.SLACK_BOT_TOKEN) return undefined;
  const mode = parsed.SLACK_APP_TOKEN ? 'socket' : 'http';
  if (mode === 'http' && !parsed.SLACK_SIGNING_SECRET) {
    throw new ConfigError(
      'SLACK_SIGNING_SECRET',
      'is required in HTTP mode (Basic Information > App Credentials of your Slack app); or set SLACK_APP_TOKEN to use Socket Mode.',
    );
  }
  const config: SlackConfig = { botToken: parsed.SLACK_BOT_TOKEN, apiUrl: parsed.SLACK_API_URL, port: parsed.PORT, mode };
  if (parsed.SLACK_SIGNING_SECRET) config.signingSecret = parsed.SLACK_SIGNING_SECRET;
  if (parsed.SLACK_APP_TOKEN) config.appToken = parsed.SLACK_APP_TOKEN;
  return config;
}
