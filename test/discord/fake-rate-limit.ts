/**
 * Per-route rate limits for the Discord fake, with the headers Discord sends
 * (https://discord.com/developers/docs/topics/rate-limits#header-format): a fixed window per route
 * and major parameter. `enforced` below `limit` models Discord's undisclosed sub-limits: the headers
 * promise `limit` but a 429 comes after `enforced`, so a client must honour 429s, not only headers.
 * A request that arrives after a 429 and before that window's reset is recorded as a violation.
 */

/** A limit of one route. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** Requests actually allowed per window (default: `limit`). */
  enforced?: number;
}

interface Bucket {
  count: number;
  resetAt: number;
  /** Set once a 429 was served in the current window. */
  limitedUntil?: number;
}

/** The verdict on one request. */
export interface RateLimitVerdict {
  status: 200 | 429;
  headers: Record<string, string>;
  body?: unknown;
  /** How many ms too early the request came after a 429, when it did. */
  violation?: number;
}

/** The limiter with its statistics. */
export interface RateLimiter {
  check(route: string, major: string, now: number): RateLimitVerdict;
  stats: { requests: number; limited: number; violations: number };
}

/** Creates a limiter over `rules` (keyed by route, e.g. `POST /channels/:id/messages`). */
export function createRateLimiter(rules: Record<string, RateLimitRule>): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const stats = { requests: 0, limited: 0, violations: 0 };
  return {
    stats,
    check(route, major, now) {
      stats.requests++;
      const rule = rules[route];
      if (!rule) return { status: 200, headers: {} };
      const key = `${route}|${major}`;
      let bucket = buckets.get(key);
      if (!bucket || now >= bucket.resetAt) buckets.set(key, (bucket = { count: 0, resetAt: now + rule.windowMs }));
      const verdict: RateLimitVerdict = { status: 200, headers: {} };
      if (bucket.limitedUntil !== undefined && now < bucket.limitedUntil) {
        stats.violations++;
        verdict.violation = bucket.limitedUntil - now;
      }
      const resetAfter = (bucket.resetAt - now) / 1000;
      const hash = Buffer.from(route).toString('hex').slice(0, 16);
      const enforced = rule.enforced ?? rule.limit;
      if (bucket.count >= enforced) {
        stats.limited++;
        bucket.limitedUntil = bucket.resetAt;
        return {
          status: 429,
          headers: {
            'retry-after': String(Math.max(0, Math.ceil(resetAfter * 1000) / 1000)),
            'x-ratelimit-limit': String(rule.limit),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
            'x-ratelimit-reset-after': resetAfter.toFixed(3),
            'x-ratelimit-bucket': hash,
            'x-ratelimit-scope': 'user',
          },
          body: { message: 'You are being rate limited.', retry_after: resetAfter, global: false },
          ...(verdict.violation !== undefined ? { violation: verdict.violation } : {}),
        };
      }
      bucket.count++;
      verdict.headers = {
        'x-ratelimit-limit': String(rule.limit),
        'x-ratelimit-remaining': String(Math.max(0, rule.limit - bucket.count)),
        'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
        'x-ratelimit-reset-after': resetAfter.toFixed(3),
        'x-ratelimit-bucket': hash,
      };
      return verdict;
    },
  };
}
