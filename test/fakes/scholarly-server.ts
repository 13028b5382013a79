/**
 * A loopback fake of the five scholarly APIs on one `node:http` server (127.0.0.1, port 0), replaying
 * the real recordings of `scholarly-recordings.ts` under the paths the real APIs use
 * (`/openalex/works`, `/arxiv/api/query`, `/crossref/works`, `/semanticscholar/graph/v1/paper/search`,
 * `/pubmed/entrez/eutils/esearch.fcgi`). It records every request with its arrival time, can hold
 * each source's answers for a set latency, and can inject faults: an HTTP status (500, 429 with
 * `Retry-After`, ...), a slow answer, a body cut off mid-way (connection dropped), an invalid
 * JSON/XML body, and a schema change (the payload moved under an unexpected key or root element).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { loadRecordings, type FakeAnswer, type Responder } from './scholarly-recordings.js';

/** The five fake APIs. */
export type FakeSource = 'openalex' | 'arxiv' | 'crossref' | 'semanticscholar' | 'pubmed';

/** Path prefix of each API on the fake (mirroring the real base URLs' paths). */
export const FAKE_PREFIX: Record<FakeSource, string> = {
  openalex: '/openalex',
  arxiv: '/arxiv/api',
  crossref: '/crossref',
  semanticscholar: '/semanticscholar/graph/v1',
  pubmed: '/pubmed/entrez/eutils',
};

/** A fault the fake injects instead of (or into) its normal answer. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'truncated' }
  | { kind: 'invalid' }
  | { kind: 'schema' };

/** One request the fake received. */
export interface FakeRequest {
  source: FakeSource;
  method: string;
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** Arrival time, `performance.now()`. */
  at: number;
  fault?: Fault['kind'];
}

/** The running fake. */
export interface FakeScholarlyServer {
  url: string;
  /** `*_BASE_URL` variables pointing every source at the fake. */
  env: Record<string, string>;
  requests: FakeRequest[];
  requestsFor(source: FakeSource): FakeRequest[];
  /** Holds every answer of `source` for `ms` before sending it. */
  setLatency(source: FakeSource, ms: number): void;
  /** Injects `fault` into the next `times` requests of `source` (default: every request). */
  fault(source: FakeSource, fault: Fault, times?: number): void;
  /** Clears faults, latencies and the request log. */
  reset(): void;
  close(): Promise<void>;
}

function schemaChanged(answer: FakeAnswer): string {
  if (answer.contentType.includes('json')) return JSON.stringify({ unexpected: JSON.parse(answer.body) as unknown });
  // Rename the root element: the document stays well-formed but is no longer the expected format.
  const m = answer.body.match(/<([A-Za-z][\w:.-]*)[\s>]/g)?.find((t) => !t.startsWith('<!'));
  const root = m?.slice(1, -1);
  if (!root) return '<unexpected/>';
  return answer.body.replace(`<${root}`, '<unexpected').replace(new RegExp(`</${root}>(?![\\s\\S]*</${root}>)`), '</unexpected>');
}

function invalidBody(answer: FakeAnswer): string {
  if (answer.contentType.includes('json')) return answer.body.slice(0, Math.max(1, Math.floor(answer.body.length * 0.6)));
  // A mismatched closing tag, keeping the rest intact.
  return answer.body.replace(/<\/(\w+)>/, '</$1-broken>');
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeScholarlyServer(): Promise<FakeScholarlyServer> {
  const responders: Record<FakeSource, Responder> = loadRecordings();
  const requests: FakeRequest[] = [];
  const latency = new Map<FakeSource, number>();
  const faults = new Map<FakeSource, { fault: Fault; remaining: number }[]>();

  const takeFault = (source: FakeSource): Fault | undefined => {
    const queue = faults.get(source);
    const head = queue?.[0];
    if (!head) return undefined;
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const source = (Object.keys(FAKE_PREFIX) as FakeSource[]).find((s) => url.pathname.startsWith(`${FAKE_PREFIX[s]}/`));
    if (!source) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such API');
      return;
    }
    const path = url.pathname.slice(FAKE_PREFIX[source].length);
    const fault = takeFault(source);
    const entry: FakeRequest = {
      source,
      method: req.method ?? 'GET',
      path,
      params: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now(),
      ...(fault ? { fault: fault.kind } : {}),
    };
    requests.push(entry);
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    try {
      const hold = (latency.get(source) ?? 0) + (fault?.kind === 'slow' ? fault.delayMs : 0);
      if (hold > 0) await delay(hold, undefined, { signal: closed.signal });
    } catch {
      return; // the client went away while we were holding the answer
    }
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(JSON.stringify({ error: `injected ${fault.status}` }));
      return;
    }
    const answer = responders[source](path, url.searchParams, entry.method);
    let body = answer.body;
    if (fault?.kind === 'schema') body = schemaChanged(answer);
    if (fault?.kind === 'invalid') body = invalidBody(answer);
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': String(bytes.length) });
    if (fault?.kind === 'truncated') {
      // Promise the whole body, send part of it, then drop the connection.
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(bytes);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    env: {
      OPENALEX_BASE_URL: `${url}${FAKE_PREFIX.openalex}`,
      ARXIV_BASE_URL: `${url}${FAKE_PREFIX.arxiv}`,
      CROSSREF_BASE_URL: `${url}${FAKE_PREFIX.crossref}`,
      SEMANTIC_SCHOLAR_BASE_URL: `${url}${FAKE_PREFIX.semanticscholar}`,
      PUBMED_BASE_URL: `${url}${FAKE_PREFIX.pubmed}`,
    },
    requests,
    requestsFor: (source) => requests.filter((r) => r.source === source),
    setLatency: (source, ms) => void latency.set(source, ms),
    fault: (source, fault, times = Number.POSITIVE_INFINITY) => {
      if (!faults.has(source)) faults.set(source, []);
      faults.get(source)!.push({ fault, remaining: times });
    },
    reset: () => {
      faults.clear();
      latency.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
