/**
 * The Discord adapter's settings: its own zod schema over the environment, parsed once at start-up.
 * `DISCORD_TOKEN` enables the adapter; the other variables are checked only when it is set.
 * See https://discord.com/developers/docs/quick-start/getting-started for where each value is found.
 */
import { z } from 'zod';
import { parseEnv } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalSnowflake = (what: string) =>
  z.preprocess(emptyToUndefined, z.string().trim().regex(/^\d{17,20}$/, { error: `must be the ${what} id (a 17-20 digit number)` }).optional());

/** Schema of the Discord variables (see `.env.example`). */
export const DiscordEnvSchema = z.object({
  DISCORD_TOKEN: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'is missing: copy the bot token from the Developer Portal (Bot → Reset Token)' })
      .trim()
      .min(50, { error: 'does not look like a bot token (Developer Portal → Bot → Reset Token)' })
      .transform((token) => token.replace(/^Bot\s+/i, '')),
  ),
  DISCORD_APPLICATION_ID: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'is missing: copy the Application ID from the Developer Portal (General Information)' })
      .trim()
      .regex(/^\d{17,20}$/, { error: 'must be the application id (a 17-20 digit number)' }),
  ),
  DISCORD_GUILD_ID: optionalSnowflake('server (guild)'),
  DISCORD_API_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://discord.com/api' })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
  ),
});

/** The parsed Discord settings. */
export type DiscordConfig = z.infer<typeof DiscordEnvSchema>;

/** The variable whose presence turns the adapter on. */
export const DISCORD_ENABLING_VARIABLE = 'DISCORD_TOKEN';

/**
 * Reads the Discord settings. Returns undefined when `DISCORD_TOKEN` is unset (the adapter is off);
 * throws a `ConfigError` naming the variable when a value is missing or malformed.
 */
export function loadDiscordConfig(env: Record<string, string | undefined> = process.env): DiscordConfig | undefined {
  if (emptyToUndefined(env[DISCORD_ENABLING_VARIABLE]) === undefined) return undefined;
  try {
    return parseEnv(DiscordEnvSchema, env);
  } catch (error) {
    // parseEnv quotes the bad value; a token, even a malformed one, must not reach the terminal or logs.
    if (error instanceof ConfigError && error.variable === DISCORD_ENABLING_VARIABLE) {
      throw new ConfigError(DISCORD_ENABLING_VARIABLE, error.message.slice(`${DISCORD_ENABLING_VARIABLE}: `.length).replace(/ \(got "[\s\S]*"\)\.$/, '.'));
    }
    throw error;
  }
}
