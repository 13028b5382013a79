/**
 * Cutting configured secrets out of text. pino's `redact` censors fields by path, but a secret that a
 * server echoes inside an error message ("Incorrect API key provided: sk-…") is part of a string, and
 * strings travel on into the report's limitations, the chat and the logs. So the values themselves
 * are replaced wherever text leaves the process: model error bodies, reports, log lines.
 */

/** What a cut secret becomes. */
export const REDACTED = '[redacted]';

/** Variables whose values are secrets (keys and tokens), wherever they are configured. */
export const SECRET_VARIABLES = [
  'LLM_API_KEY',
  'SEMANTIC_SCHOLAR_API_KEY',
  'NCBI_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'DISCORD_TOKEN',
  'WEB_SECRET',
  'WEB_TOKEN',
] as const;

/**
 * Shorter values are not cut: a placeholder key such as `ollama` or `none` (local servers need none)
 * would otherwise garble every report that names the server, and hides nothing.
 */
const MIN_SECRET_LENGTH = 8;

/** The password of a URL such as `redis://user:PASSWORD@host`, or undefined. */
export function urlPassword(value: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#@]*)@/i.exec(value.trim());
  if (match?.[1]) {
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }
  // A password given as a query parameter (`?password=…`).
  const query = /[?&](?:password|pass|pwd)=([^&#]*)/i.exec(value);
  if (!query?.[1]) return undefined;
  try {
    return decodeURIComponent(query[1]);
  } catch {
    return query[1];
  }
}

/**
 * A URL as it may be shown: the password of `scheme://user:PASSWORD@host` and of `?password=…` (and
 * similar query parameters) replaced by `***`. Used wherever a configured URL is echoed in an error.
 */
export function maskUrlPassword(value: string): string {
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/*[^/?#@:]*:)[^/?#@]*@/i, '$1***@')
    .replace(/([?&](?:password|passwd|pass|pwd|secret|token|key|api_key|apikey)=)[^&#]*/gi, '$1***');
}

/** The secret values configured in an environment: the keys and tokens, and a password in `STORE_URL`. */
export function secretValues(env: Readonly<Record<string, unknown>>): string[] {
  const text = (name: string) => (typeof env[name] === 'string' ? env[name].trim() : undefined);
  const values = SECRET_VARIABLES.map(text).filter((v): v is string => Boolean(v));
  const store = text('STORE_URL');
  const storePassword = store ? urlPassword(store) : undefined;
  if (storePassword) values.push(storePassword);
  return [...new Set(values)];
}

/** Replaces each secret in `text` (as is, URL-encoded and JSON-escaped) by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    // Longest first, so a form containing another is cut whole.
    for (const form of [...forms].sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}
