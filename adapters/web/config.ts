/**
 * The web adapter's settings: its own zod schema over the environment. The web page is the embedded
 * default: with no chat platform configured `npm start` serves it on http://127.0.0.1:3000; beside
 * Slack or Discord it runs when `PUBLIC_URL` is set (their answers then link to the report pages) or
 * `WEB_ENABLED=true`. `WEB_ENABLED=false` or `WEB_PORT=off` turns it off.
 *
 * Exposure: bound to loopback unless `WEB_HOST` says otherwise. When the page can be reached from
 * elsewhere (`PUBLIC_URL` set, or a non-loopback `WEB_HOST`), report pages need a signed link
 * (HMAC with an expiry, keyed by `WEB_SECRET`) or the access token `WEB_TOKEN`, and asking questions
 * from the browser needs `WEB_TOKEN`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseEnv } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** Schema of the web variables (see `.env.example`). */
export const WebEnvSchema = z.object({
  WEB_ENABLED: z.preprocess(
    (value) => (typeof value === 'string' ? (emptyToUndefined(value) as string | undefined)?.trim().toLowerCase() : value),
    z.enum(['auto', 'true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be auto, true or false' }).default('auto'),
  ),
  WEB_HOST: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .regex(/^(?:[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$/, { error: 'must be a host name or an IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0' })
      .default('127.0.0.1'),
  ),
  WEB_PORT: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z
      .string()
      .regex(/^(?:off|\d{1,5})$/, { error: 'must be a port number or off' })
      .refine((value) => value === 'off' || Number(value) <= 65535, { error: 'must be between 0 and 65535, or off' })
      .transform((value) => (value === 'off' ? ('off' as const) : Number(value)))
      .default(3000),
  ),
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be the http(s) URL the web page is reached at, e.g. https://synth.example.org' })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
  ),
  WEB_SECRET: z.preprocess(emptyToUndefined, z.string().trim().min(32, { error: 'must be at least 32 characters (e.g. openssl rand -hex 32)' }).optional()),
  WEB_TOKEN: z.preprocess(emptyToUndefined, z.string().trim().min(16, { error: 'must be at least 16 characters (e.g. openssl rand -hex 16)' }).optional()),
  WEB_LINK_TTL_DAYS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a whole number of days' })
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(3650, { error: 'must be at most 3650' })
      .default(30),
  ),
  WEB_RATE_LIMIT: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a whole number of requests per minute' })
      .int({ error: 'must be a whole number of requests per minute' })
      .min(10, { error: 'must be at least 10' })
      .max(100_000, { error: 'must be at most 100000' })
      .default(600),
  ),
});

/** The web adapter's settings. Secrets stay in this object; it is never logged. */
export interface WebConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Where the page is reached from outside (no trailing slash); undefined when it is local only. */
  publicUrl?: string;
  /** Signs report links and visitor cookies; when unset a random one is kept in the state store. */
  secret?: string;
  /** The access token for report pages without a signed link and for asking from an exposed page. */
  token?: string;
  /** How long a signed report link stays valid. */
  linkTtlMs: number;
  /** Requests per minute one client may make. */
  rateLimit: number;
  /** True when the page may be reached from elsewhere than this machine. */
  exposed: boolean;
}

const SECRET_VARIABLES = new Set(['WEB_SECRET', 'WEB_TOKEN']);

/** The variables that turn the web adapter on or off, for `npm start`'s "nothing configured" message. */
export const WEB_VARIABLES = ['WEB_ENABLED (on by default without a chat platform)', 'WEB_PORT', 'PUBLIC_URL'] as const;

/** True for a host name or address that only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

function parse(env: Record<string, string | undefined>): z.infer<typeof WebEnvSchema> {
  try {
    return parseEnv(WebEnvSchema, env);
  } catch (error) {
    // parseEnv quotes the bad value; a secret, even a malformed one, must not reach the terminal or logs.
    if (error instanceof ConfigError && SECRET_VARIABLES.has(error.variable)) {
      throw new ConfigError(error.variable, error.message.slice(error.variable.length + 2).replace(/ \(got "[\s\S]*"\)\.$/, '.'));
    }
    throw error;
  }
}

/** What `npm start` tells the web module: the other adapters it found configured. */
export interface WebConfigContext {
  configured?: readonly string[];
}

/**
 * Reads the web settings. Undefined when the web adapter is off: `WEB_ENABLED=false` or
 * `WEB_PORT=off`, or (`WEB_ENABLED=auto`, the default) another chat adapter is configured and
 * `PUBLIC_URL` is unset. Throws a `ConfigError` naming the variable when a value is bad.
 */
export function loadWebConfig(env: Record<string, string | undefined> = process.env, context: WebConfigContext = {}): WebConfig | undefined {
  const parsed = parse(env);
  const enabled = parsed.WEB_ENABLED;
  if (['false', '0', 'no', 'off'].includes(enabled) || parsed.WEB_PORT === 'off') return undefined;
  const forced = ['true', '1', 'yes', 'on'].includes(enabled);
  if (!forced && (context.configured ?? []).length > 0 && !parsed.PUBLIC_URL) return undefined;
  const exposed = Boolean(parsed.PUBLIC_URL) || !isLoopbackHost(parsed.WEB_HOST);
  if (parsed.PUBLIC_URL && !parsed.WEB_SECRET && !parsed.WEB_TOKEN) {
    throw new ConfigError('WEB_SECRET', 'must be set when PUBLIC_URL is: it signs the report links (or set WEB_TOKEN to have report pages ask for a token).');
  }
  if (exposed && !parsed.PUBLIC_URL && !parsed.WEB_TOKEN) {
    throw new ConfigError('WEB_TOKEN', `must be set when WEB_HOST (${parsed.WEB_HOST}) is not a loopback address: it guards the page from the network.`);
  }
  const config: WebConfig = {
    host: parsed.WEB_HOST.replace(/^\[|\]$/g, ''),
    port: parsed.WEB_PORT,
    linkTtlMs: parsed.WEB_LINK_TTL_DAYS * 86_400_000,
    rateLimit: parsed.WEB_RATE_LIMIT,
    exposed,
  };
  if (parsed.PUBLIC_URL) config.publicUrl = parsed.PUBLIC_URL;
  if (parsed.WEB_SECRET) config.secret = parsed.WEB_SECRET;
  if (parsed.WEB_TOKEN) config.token = parsed.WEB_TOKEN;
  return config;
}
