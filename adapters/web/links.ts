/**
 * Links to report pages. Report ids are random UUIDs; when the page can be reached from elsewhere
 * (`PUBLIC_URL`), a link also carries an expiry and an HMAC-SHA256 of the report id and that expiry
 * under `WEB_SECRET`, so a link works until it expires and cannot be made for another report.
 * `reportUrl` is what the Slack and Discord answers link to ("Full report").
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { loadWebConfig } from './config.js';

const DAY_MS = 86_400_000;
/** Report ids as the core makes them (UUIDs), and nothing else reaches the store. */
export const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** The signature of a report link: base64url HMAC-SHA256 of `report:<id>:<exp>`. */
export function signReport(secret: string, reportId: string, exp: number): string {
  return createHmac('sha256', secret).update(`report:${reportId}:${exp}`).digest('base64url');
}

/** The expiry of a link made now, rounded up to the next whole day so a report's link is stable within a day (seconds since the epoch). */
export function linkExpiry(ttlMs: number, now: number = Date.now()): number {
  return Math.ceil((now + ttlMs) / DAY_MS) * (DAY_MS / 1000);
}

/** True when `sig` signs this report id with this expiry and the expiry has not passed. */
export function verifyReportSignature(secret: string, reportId: string, exp: string | undefined, sig: string | undefined, now: number = Date.now()): boolean {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
  if (Number(exp) * 1000 < now) return false;
  const expected = Buffer.from(signReport(secret, reportId, Number(exp)));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The query string that grants access to one report (`?exp=…&sig=…`), or '' without a secret. */
export function signedQuery(reportId: string, signing: { secret?: string; ttlMs: number; now?: number }): string {
  if (!signing.secret) return '';
  const exp = linkExpiry(signing.ttlMs, signing.now);
  return `?exp=${exp}&sig=${signReport(signing.secret, reportId, exp)}`;
}

/** The path of a report page, signed when a secret is given. */
export function reportPath(reportId: string, signing: { secret?: string; ttlMs: number; now?: number }): string {
  return `/reports/${encodeURIComponent(reportId)}${signedQuery(reportId, signing)}`;
}

/**
 * The public URL of a report's page, for the chat platforms' answers ("Full report"): undefined
 * unless `PUBLIC_URL` is set and the web adapter is on. Signed with `WEB_SECRET` when it is set;
 * otherwise (`WEB_TOKEN` only) the page asks for the token. Reads the environment each call (cheap).
 */
export function reportUrl(reportId: string, env: Record<string, string | undefined> = process.env): string | undefined {
  if (!REPORT_ID.test(reportId)) return undefined;
  let config;
  try {
    // Beside a chat platform the web adapter runs when PUBLIC_URL is set (see config.ts).
    config = loadWebConfig(env, { configured: ['chat'] });
  } catch {
    return undefined;
  }
  if (!config?.publicUrl) return undefined;
  return `${config.publicUrl}${reportPath(reportId, { ...(config.secret ? { secret: config.secret } : {}), ttlMs: config.linkTtlMs })}`;
}
