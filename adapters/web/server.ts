/**
 * The web adapter's HTTP side, on Hono: the ask page, the live stream of a visitor's threads
 * (server-sent events), the Cancel and Retry controls, report pages with their downloads, the access
 * token page, and the static files. Safe by default: a strict Content-Security-Policy (scripts and
 * styles from this server only, nothing inline), CSRF checks on every form post, per-client rate
 * limits, a signed per-browser identity cookie, Host checks against DNS rebinding while the page is
 * local, and signed links (or the access token) for report pages once it is exposed.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getSignedCookie, setSignedCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import type { Core } from '../../src/core.js';
import type { Logger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { renderBibtex } from '../../src/render/bibtex.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import type { Conversation } from '../shared/conversation.js';
import { publicDir } from './assets.js';
import type { WebConfig } from './config.js';
import { isLoopbackHost } from './config.js';
import { toHtml } from './html.js';
import type { Hub, PostedMessage, WebMessage } from './hub.js';
import { REPORT_ID, verifyReportSignature } from './links.js';
import { accessPage, askPage, cancelConfirmPage, errorPage, messageHtml, reportPage } from './pages.js';
import { saidMessage, visitorName, wordsText } from './render.js';
import { isChitChat } from '../../src/pipeline/followup.js';

/** Limits the server keeps. */
export interface ServerLimits {
  /** Questions one visitor may ask per minute (besides the core's runs-at-once limit). */
  asksPerMinute: number;
  /** Live streams one visitor may hold open. */
  streamsPerVisitor: number;
  /** Live streams in all. */
  streams: number;
  /** Reports whose page is kept rendered. */
  cachedPages: number;
}

const DEFAULT_LIMITS: ServerLimits = { asksPerMinute: 12, streamsPerVisitor: 8, streams: 500, cachedPages: 64 };

/** What the server needs. */
export interface WebServerDeps {
  config: WebConfig;
  core: Core;
  hub: Hub;
  conversation: Conversation<WebMessage>;
  log: Logger;
  /** Signs cookies and report links. */
  secret: string;
  limits?: Partial<ServerLimits>;
}

type Env = { Variables: { visitor: string; client: string; access: boolean } };

const YEAR_S = 365 * 86_400;

/** Content-Security-Policy: this server's own script and styles, nothing inline, no frames, no other host. */
export const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/** The app, and a way to end its live streams (before the HTTP server closes). */
export function createWebApp(deps: WebServerDeps): { app: Hono<Env>; closeStreams(): void } {
  const { config, core, hub, conversation, log, secret } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = new Hono<Env>();
  const secure = config.publicUrl?.startsWith('https:') ?? false;
  // Cookies are per host, not per port: named after the secret, two local instances keep theirs apart.
  const suffix = createHmac('sha256', secret).update('cookie-name').digest('hex').slice(0, 8);
  const VISITOR_COOKIE = `synth_visitor_${suffix}`;
  const ACCESS_COOKIE = `synth_access_${suffix}`;
  const accessSecret = config.token ? createHmac('sha256', secret).update(`access:${config.token}`).digest('hex') : undefined;
  const stores: MemoryStore<Env>[] = [];
  const closers = new Set<() => void>();
  const streams = new Map<string, number>();
  let streamCount = 0;
  const pages = new Map<string, string>();

  const store = () => {
    const s = new MemoryStore<Env>();
    stores.push(s);
    return s;
  };

  /** The client a request comes from: its address (behind a local reverse proxy, the forwarded one). */
  const clientOf = (c: Context<Env>): string => {
    let address = '';
    try {
      address = getConnInfo(c).remote.address ?? '';
    } catch {
      address = '';
    }
    if (config.publicUrl && isLoopbackHost(address.replace(/^::ffff:/, ''))) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    return address || 'unknown';
  };

  const wantsJson = (c: Context<Env>) => (c.req.header('accept') ?? '').includes('application/json');

  const tooMany = (what: string) => (c: Context<Env>) => (wantsJson(c) ? { error: `Too many ${what}; wait a minute and try again.` } : `Too many ${what}; wait a minute and try again.`);

  // 1. Host check while the page is local: a page elsewhere cannot rebind its name to 127.0.0.1 and read this one.
  app.use('*', async (c, next) => {
    if (!config.exposed) {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
      if (!isLoopbackHost(host) && host !== config.host) return c.text('This page answers on its loopback address only.', 421);
    }
    await next();
  });

  // 2. Headers on every response.
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: CSP,
      referrerPolicy: 'no-referrer',
      strictTransportSecurity: secure ? 'max-age=15552000' : false,
      xFrameOptions: 'DENY',
      crossOriginOpenerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-origin',
      permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
    }),
  );

  // 3. Rate limit per client, then CSRF checks on form posts, then a bounded body.
  app.use('*', rateLimiter<Env>({ windowMs: 60_000, limit: config.rateLimit, standardHeaders: 'draft-7', keyGenerator: clientOf, store: store(), message: tooMany('requests') }));
  const origins = new Set<string>(config.publicUrl ? [new URL(config.publicUrl).origin] : []);
  app.use('*', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origins.has(origin) }));
  app.use('*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('The request is too large.', 413) }));

  app.get('/healthz', (c) => c.text('ok'));
  // Ready when the store (and the queue's Redis, in the scale-out mode) answers.
  app.get('/readyz', async (c) => {
    const ready = await core.ready();
    return c.json(ready, ready.ok ? 200 : 503);
  });
  app.get('/favicon.ico', (c) => c.redirect('/static/icon.svg', 301));
  app.use(
    '/static/*',
    async (c, next) => {
      await next();
      if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=86400');
    },
    serveStatic({ root: publicDir(), rewriteRequestPath: (path) => path.replace(/^\/static/, '') }),
  );

  // 4. Who is asking: a random id in a signed cookie, made on the first visit.
  app.use('*', async (c, next) => {
    let visitor = await getSignedCookie(c, secret, VISITOR_COOKIE);
    if (!visitor || !/^[0-9a-f-]{36}$/.test(visitor)) {
      visitor = randomUUID();
      await setSignedCookie(c, VISITOR_COOKIE, visitor, secret, { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: YEAR_S });
    }
    c.set('visitor', visitor);
    c.set('client', clientOf(c));
    const granted = accessSecret ? (await getSignedCookie(c, accessSecret, ACCESS_COOKIE)) === 'granted' : false;
    c.set('access', !config.exposed || granted);
    await next();
  });

  /** Asking needs the page to be local, or the access token. */
  const mayAsk = (c: Context<Env>) => c.get('access');
  const refuse = (c: Context<Env>) =>
    wantsJson(c) ? c.json({ error: 'This needs the access token.' }, 403) : c.redirect(`/access?next=${encodeURIComponent(c.req.path)}`, 303);

  app.get('/', async (c) => {
    if (!mayAsk(c)) {
      if (config.token) return c.redirect('/access?next=%2F', 303);
      return c.html(errorPage('Report pages only', 'This server shares report pages by signed links; asking questions is turned off here (set WEB_TOKEN to allow it).'), 403);
    }
    const visitor = c.get('visitor');
    const told = c.req.query('told');
    c.header('Cache-Control', 'no-store');
    return c.html(
      askPage({
        visitor: visitorName(visitor),
        messages: await hub.list(visitor),
        sources: core.runtime.sources.map((s) => s.name),
        canAsk: true,
        ...(told ? { told: told.slice(0, 300) } : {}),
      }),
    );
  });

  const askLimiter = rateLimiter<Env>({ windowMs: 60_000, limit: limits.asksPerMinute, keyGenerator: (c) => `${c.get('visitor')}|${c.get('client')}`, store: store(), message: tooMany('questions') });
  app.post('/ask', askLimiter, async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const body = await c.req.parseBody();
    const question = typeof body.question === 'string' ? body.question : '';
    const number = (name: string): number | undefined | 'bad' => {
      const value = body[name];
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      return /^\d{1,4}$/.test(value.trim()) ? Number(value.trim()) : 'bad';
    };
    const options = { yearFrom: number('yearFrom'), yearTo: number('yearTo'), maxPapers: number('maxPapers') };
    const bad = Object.entries(options).find(([, v]) => v === 'bad');
    const answer = (refusal: string, status: 400 | 422 | 429) =>
      wantsJson(c) ? c.json({ refusal }, status) : c.redirect(`/?told=${encodeURIComponent(refusal)}`, 303);
    if (bad) return answer(`The option ${bad[0]} must be a whole number.`, 400);
    const request = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as { yearFrom?: number; yearTo?: number; maxPapers?: number };
    const visitor = c.get('visitor');
    const admitted = conversation.admit(visitor, question, request);
    if ('refusal' in admitted) return answer(admitted.refusal, /already have/.test(admitted.refusal) ? 429 : 422);
    const work = conversation.ask(admitted.admission, { channel: visitor });
    conversation.track(work);
    const runId = await work;
    if (!runId) return answer('The run could not start; the reason is on the page.', 422);
    return wantsJson(c) ? c.json({ runId }, 202) : c.redirect('/', 303);
  });

  /** Runs one stream's writes in order. */
  const inOrder = () => {
    let chain = Promise.resolve();
    return (write: () => Promise<void>) => {
      chain = chain.then(write).catch(() => undefined);
      return chain;
    };
  };

  app.get('/events', (c) => {
    if (!mayAsk(c)) return refuse(c);
    const visitor = c.get('visitor');
    const mine = streams.get(visitor) ?? 0;
    if (mine >= limits.streamsPerVisitor || streamCount >= limits.streams) return c.text('Too many open pages; close one and reload.', 429);
    streams.set(visitor, mine + 1);
    streamCount++;
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let seq = 0;
      const queue = inOrder();
      const send = (m: PostedMessage) =>
        queue(() =>
          stream.writeSSE({
            event: 'message',
            id: String(++seq),
            data: JSON.stringify({ id: m.id, thread: m.thread ?? null, kind: m.kind, rev: m.rev, text: m.text, ephemeral: m.ephemeral ?? false, html: toHtml(messageHtml(m)) }),
          }),
        );
      let end: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (end = resolve));
      closers.add(end);
      stream.onAbort(end);
      const unsubscribe = hub.subscribe(visitor, (m) => void send(m));
      const ping = setInterval(() => void stream.write(': ping\n\n').catch(end), 20_000);
      try {
        void queue(() => stream.writeSSE({ event: 'hello', data: '', retry: 2000 }));
        // The threads as they are now (the page may be older: a reconnection), then every change.
        for (const m of await hub.list(visitor)) void send(m);
        void queue(() => stream.writeSSE({ event: 'ready', data: '' }));
        await ended;
      } finally {
        clearInterval(ping);
        unsubscribe();
        closers.delete(end);
        streamCount--;
        const left = (streams.get(visitor) ?? 1) - 1;
        if (left > 0) streams.set(visitor, left);
        else streams.delete(visitor);
      }
    });
  });

  /** Tells the visitor a sentence: JSON for the page's script (`ok` when it is not a refusal), else back to the page with it. */
  const told = (c: Context<Env>, words: string, status: 200 | 403 | 404 | 409 | 422 = 200, ok = false) =>
    wantsJson(c) ? c.json({ told: words, ...(ok ? { ok: true } : {}) }, status) : c.redirect(`/?told=${encodeURIComponent(words)}`, 303);

  app.post('/runs/:id/cancel', async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const id = c.req.param('id');
    const body = await c.req.parseBody();
    const visitor = c.get('visitor');
    if (body.confirm !== '1') {
      const reason = await conversation.cancel(id, visitor, { check: true });
      if (reason) return told(c, wordsText(reason), 409);
      if (wantsJson(c)) return c.json({ confirm: true });
      return c.html(cancelConfirmPage(id));
    }
    const reason = await conversation.cancel(id, visitor);
    if (reason) return told(c, wordsText(reason), 409);
    return wantsJson(c) ? c.json({ cancelled: true }) : c.redirect('/', 303);
  });

  app.post('/runs/:id/retry', async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const id = c.req.param('id');
    const visitor = c.get('visitor');
    const failure = (await hub.list(visitor)).findLast((m) => m.kind === 'failure' && m.run === id);
    let said: string | undefined;
    const work = conversation.retry(id, visitor, {
      message: { channel: visitor, id: failure?.id ?? '' },
      tell: async (message) => void (said = message.text),
      ...(failure ? { replace: async (message: WebMessage) => void (await hub.edit(visitor, failure.id, message)) } : {}),
    });
    conversation.track(work);
    await work;
    if (said) return told(c, said, 409);
    return wantsJson(c) ? c.json({ retried: true }) : c.redirect('/', 303);
  });

  // The thread's reply box: a follow-up, or a thread command ("explain claim 2", "add <DOI>", "since 2020",
  // "more papers"), read by the shared conversation as a mention in the run's thread would be.
  app.post('/threads/:id/reply', askLimiter, async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const visitor = c.get('visitor');
    const body = await c.req.parseBody();
    const text = (typeof body.text === 'string' ? body.text : '').trim().slice(0, 1000);
    const parent = await hub.get(visitor, c.req.param('id'));
    if (!parent || parent.thread) return told(c, 'That thread is no longer on this page.', 404);
    if (!text) return told(c, 'Type a follow-up question or a thread command first.', 422);
    const where = { channel: visitor, thread: parent.id, mentioned: true };
    let said: string | undefined;
    const tell = async (message: WebMessage) => void (said = message.text);
    // Thanks and the like ask nothing: nothing is posted in the thread.
    const mine = isChitChat(text) ? undefined : await hub.post(visitor, parent.id, saidMessage(visitor, text));
    const work = conversation.inThread(visitor, text, { ...where, message: mine?.id ?? parent.id, tell });
    conversation.track(work);
    const result = await work;
    if (result === 'not-ours') return told(c, "This thread's run is no longer stored; ask the question again above.", 409);
    if (result === 'ignored') return told(c, 'Nothing to answer there: ask a question, or explain claim 2 · add <DOI> · since 2020 · more papers.', 200, true);
    if (said) return told(c, said, result === 'refused' ? 409 : 200, result !== 'refused');
    return wantsJson(c) ? c.json({ replied: result }, 202) : c.redirect(`/#t-${parent.id}`, 303);
  });

  /** The report of an answer in this visitor's threads (flags and votes are on what the visitor sees). */
  const shownReport = async (visitor: string, reportId: string) => (await hub.list(visitor)).some((m) => (m.kind === 'answer' || m.kind === 'evidence') && m.run === reportId);

  app.post('/reports/:id/claims/:claim/flag', async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const visitor = c.get('visitor');
    const id = c.req.param('id');
    if (!REPORT_ID.test(id) || !(await shownReport(visitor, id))) return told(c, 'That answer is not on this page.', 404);
    const body = await c.req.parseBody();
    const reason = typeof body.reason === 'string' ? body.reason : '';
    const work = conversation.flag(id, c.req.param('claim'), visitor, reason);
    conversation.track(work);
    return told(c, wordsText(await work), 200, true);
  });

  app.post('/reports/:id/vote', async (c) => {
    if (!mayAsk(c)) return refuse(c);
    const visitor = c.get('visitor');
    const id = c.req.param('id');
    const body = await c.req.parseBody();
    if (body.vote !== 'up' && body.vote !== 'down') return told(c, 'A vote is up or down.', 422);
    if (!REPORT_ID.test(id) || !(await shownReport(visitor, id))) return told(c, 'That answer is not on this page.', 404);
    const work = conversation.vote(id, visitor, body.vote);
    conversation.track(work);
    return told(c, wordsText(await work), 200, true);
  });

  /** May this request see this report? Locally yes; exposed, with a valid signed link or the access token. */
  const mayRead = (c: Context<Env>, id: string) => !config.exposed || c.get('access') || verifyReportSignature(secret, id, c.req.query('exp'), c.req.query('sig'));
  const signedQueryOf = (c: Context<Env>, id: string) =>
    config.exposed && verifyReportSignature(secret, id, c.req.query('exp'), c.req.query('sig')) ? `?exp=${c.req.query('exp')}&sig=${c.req.query('sig')}` : '';

  const readReport = async (c: Context<Env>): Promise<Report | Response> => {
    const id = c.req.param('id') ?? '';
    if (!REPORT_ID.test(id)) return c.html(errorPage('Report not found', 'There is no report at this address.'), 404);
    if (!mayRead(c, id)) {
      if (config.token) return c.redirect(`/access?next=${encodeURIComponent(c.req.path)}`, 303);
      return c.html(errorPage('Link expired or not valid', 'This report link has expired or is not valid. Ask the bot for the report again to get a new link.'), 403);
    }
    const report = await core.runner.getReport(id);
    if (!report) return c.html(errorPage('Report not found', 'There is no report at this address; it may have expired from the store.'), 404);
    return report;
  };

  app.get('/reports/:id', async (c) => {
    const report = await readReport(c);
    if (report instanceof Response) return report;
    const query = signedQueryOf(c, report.id);
    // A report changes only when a claim is flagged (re-verified): the flags are part of the key.
    const key = `${report.id}|${query}|${report.claims.reduce((n, claim) => n + (claim.flags?.length ?? 0), 0)}`;
    let page = pages.get(key);
    if (!page) {
      page = reportPage(report, { query });
      pages.set(key, page);
      if (pages.size > limits.cachedPages) pages.delete(pages.keys().next().value as string);
    }
    c.header('Cache-Control', 'private, max-age=300');
    return c.html(page);
  });

  app.get('/reports/:id/download/:format', async (c) => {
    const report = await readReport(c);
    if (report instanceof Response) return report;
    const base = `synthesis-${report.id.slice(0, 8)}`;
    const format = c.req.param('format');
    const send = (content: string, type: string, ext: string) => {
      c.header('Content-Type', `${type}; charset=utf-8`);
      c.header('Content-Disposition', `attachment; filename="${base}.${ext}"`);
      c.header('Cache-Control', 'private, max-age=300');
      return c.body(content);
    };
    if (format === 'md') return send(renderMarkdown(report), 'text/markdown', 'md');
    if (format === 'json') return send(renderJson(report), 'application/json', 'json');
    if (format === 'bib') return send(await renderBibtex(report.references), 'application/x-bibtex', 'bib');
    return c.html(errorPage('Not found', 'Downloads are md, json or bib.'), 404);
  });

  const accessLimiter = rateLimiter<Env>({ windowMs: 15 * 60_000, limit: 10, keyGenerator: (c) => c.get('client'), store: store(), message: tooMany('attempts') });
  const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[\w\-/.%?=&]*$/.test(next) ? next : '/');
  app.get('/access', (c) => {
    if (!config.token) return c.html(errorPage('Not found', 'This server has no access token.'), 404);
    return c.html(accessPage({ next: safeNext(c.req.query('next')) }));
  });
  app.post('/access', accessLimiter, async (c) => {
    if (!config.token || !accessSecret) return c.html(errorPage('Not found', 'This server has no access token.'), 404);
    const body = await c.req.parseBody();
    const given = Buffer.from(typeof body.token === 'string' ? body.token : '');
    const expected = Buffer.from(config.token);
    const next = safeNext(body.next);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return c.html(accessPage({ next, wrong: true }), 403);
    await setSignedCookie(c, ACCESS_COOKIE, 'granted', accessSecret, { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: 30 * 86_400 });
    return c.redirect(next, 303);
  });

  app.notFound((c) => c.html(errorPage('Not found', 'There is nothing at this address.'), 404));
  app.onError((error, c) => {
    const status = (error as { status?: number }).status;
    if (status === 403) return c.text('Forbidden', 403);
    log.error({ err: error, path: c.req.path }, 'web request failed');
    return c.html(errorPage('Something went wrong', 'The page could not be made. Try again.'), 500);
  });

  return {
    app,
    closeStreams() {
      for (const close of [...closers]) close();
      for (const s of stores) s.shutdown();
    },
  };
}

/** A random secret kept in the state store, for cookies and links when `WEB_SECRET` is unset (so they survive a restart). */
export async function persistentSecret(state: Core['stores']['state']): Promise<string> {
  const key = 'web:secret';
  const existing = (await state.get(key)) as string | undefined;
  if (typeof existing === 'string' && existing.length >= 32) return existing;
  const secret = randomBytes(32).toString('hex');
  await state.set(key, secret);
  return secret;
}
