/** HTTP plumbing of the Discord fake: replies, route templates and request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A response of the fake. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Builds a {@link Reply}. */
export function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/** Writes a {@link Reply}. */
export function send(res: ServerResponse, r: Reply) {
  res.writeHead(r.status, { ...(r.body === undefined ? {} : { 'content-type': 'application/json' }), ...r.headers });
  res.end(r.body === undefined ? '' : JSON.stringify(r.body));
}

/** The route template (`POST /channels/:id/messages`) and major parameter of a request. */
export function routeOf(method: string, path: string): { route: string; major: string } {
  const m = /^\/webhooks\/(\d+)\/([^/]+)/.exec(path);
  const major = m ? `${m[1]}/${m[2]}` : (/^\/(?:channels|guilds)\/(\d+)/.exec(path)?.[1] ?? 'global');
  const route = path
    .replace(/^\/interactions\/\d+\/[^/]+/, '/interactions/:id/:token')
    .replace(/^\/webhooks\/\d+\/[^/]+/, '/webhooks/:id/:token')
    .replace(/\/\d{15,20}/g, '/:id');
  return { route: `${method} ${route}`, major };
}

/** Reads a request body: JSON, or multipart with `payload_json` and files (as discord.js sends uploads). */
export async function readBody(req: IncomingMessage): Promise<{ body: Record<string, unknown> | undefined; files: { name: string; content: string }[]; multipart: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [], multipart: false };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
    const files: { name: string; content: string }[] = [];
    let body: Record<string, unknown> | undefined;
    for (const [key, value] of form.entries()) {
      if (key === 'payload_json') body = JSON.parse(value as string) as Record<string, unknown>;
      else if (typeof value !== 'string') files.push({ name: value.name, content: await value.text() });
    }
    return { body, files, multipart: true };
  }
  return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [], multipart: false };
}
