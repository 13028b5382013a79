/**
 * A loopback fake of an OpenAI-compatible `/chat/completions` or Anthropic `/v1/messages` endpoint
 * (node:http on 127.0.0.1, port 0). It checks each request against the protocol as the real APIs do
 * (400 with the provider's error shape when it is wrong), records it, and answers from a script: one
 * reply, a list (consumed in order, the last one repeating), or a function of the request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** One scripted answer. */
export type FakeReply =
  /** A valid structured reply carrying this JSON value. */
  | { json: unknown; usage?: FakeUsage; truncated?: boolean }
  /** A reply whose content is this raw text (e.g. malformed JSON). */
  | { text: string; usage?: FakeUsage; truncated?: boolean }
  /** The model declines. */
  | { refusal: string }
  /** An HTTP error with the provider's error body (and headers such as Retry-After). */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** A success status with a body that is not the protocol at all. */
  | { raw: string; contentType?: string }
  /** No answer until the client gives up. */
  | { hang: true };

/** Token usage the fake reports (default: estimated from the texts). */
export interface FakeUsage {
  prompt: number;
  completion: number;
}

/** A request as the fake received it. */
export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** The step named in the system prompt (`plan`, `extract`, `verify`, `review`, `compose`). */
  step: string | undefined;
  /** The reviewer named in a review prompt. */
  reviewer: string | undefined;
  system: string;
  /** The first user message. */
  user: string;
  /** Milliseconds since the fake started. */
  at: number;
}

/** What the fake answers with. */
export type Script = FakeReply | FakeReply[] | ((request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>);

/** A running fake. */
export interface FakeLlm {
  /** The base URL to put in `LLM_BASE_URL`. */
  url: string;
  requests: RecordedRequest[];
  /** Requests the fake answered with a protocol error (400): a test expecting none checks this is empty. */
  protocolErrors: string[];
  /** Most requests the fake was answering at the same time. */
  readonly maxInFlight: number;
  setScript(script: Script): void;
  close(): Promise<void>;
}

/** Options of {@link startFakeLlm}. */
export interface FakeLlmOptions {
  protocol: 'openai' | 'anthropic';
  script: Script;
  /** Milliseconds before every answer (the bench's model latency). */
  latencyMs?: number;
  /** The key the fake expects (401 otherwise); undefined accepts any or none. */
  apiKey?: string;
  /** Answer 400 to `response_format: json_schema`, as servers without structured outputs do. */
  rejectJsonSchema?: boolean;
}

const OpenAiRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  stream: z.boolean().optional(),
  response_format: z
    .union([
      z.object({ type: z.literal('json_schema'), json_schema: z.object({ name: z.string().regex(/^[\w-]+$/), strict: z.boolean().optional(), schema: z.record(z.string(), z.unknown()) }) }),
      z.object({ type: z.literal('json_object') }),
    ])
    .optional(),
});

const AnthropicRequestSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  system: z.string().optional(),
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() }))
    .min(1)
    .refine((m) => m[0]!.role === 'user' && m.every((x, i) => i === 0 || x.role !== m[i - 1]!.role), 'messages must alternate, starting with user'),
  tools: z.array(z.object({ name: z.string().regex(/^[\w-]{1,64}$/), description: z.string().optional(), input_schema: z.object({ type: z.literal('object') }).loose() })).optional(),
  tool_choice: z.object({ type: z.string(), name: z.string().optional() }).optional(),
  temperature: z.number().min(0).max(1).optional(),
});

/** Parses the JSON inside `<tag>...</tag>` of a prompt (the engine's data blocks). */
export function dataOf<T = unknown>(text: string, tag: string): T | undefined {
  const m = text.match(new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`));
  return m ? (JSON.parse(m[1]!) as T) : undefined;
}

/** Starts the fake. */
export async function startFakeLlm(options: FakeLlmOptions): Promise<FakeLlm> {
  let script = options.script;
  let listIndex = 0;
  let count = 0;
  const requests: RecordedRequest[] = [];
  const protocolErrors: string[] = [];
  const started = Date.now();
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;

  const next = async (request: RecordedRequest): Promise<FakeReply> => {
    const index = count++;
    if (typeof script === 'function') return script(request, index);
    if (Array.isArray(script)) return script[Math.min(listIndex++, script.length - 1)]!;
    return script;
  };

  const sendError = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    const body =
      options.protocol === 'openai'
        ? { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', code: null } }
        : { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', message } };
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const expectedPath = options.protocol === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    if (req.method !== 'POST' || req.url !== expectedPath) return sendError(res, 404, `Unknown route ${req.method} ${req.url}`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 'The request body is not JSON.');
    }
    const key = options.protocol === 'openai' ? req.headers.authorization?.replace(/^Bearer /, '') : req.headers['x-api-key'];
    if (options.apiKey !== undefined && key !== options.apiKey) return sendError(res, 401, 'Invalid API key.');
    if (options.protocol === 'anthropic' && req.headers['anthropic-version'] !== '2023-06-01') {
      protocolErrors.push('missing anthropic-version');
      return sendError(res, 400, 'anthropic-version header is required.');
    }
    const check = (options.protocol === 'openai' ? OpenAiRequestSchema : AnthropicRequestSchema).safeParse(body);
    if (!check.success) {
      protocolErrors.push(check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return sendError(res, 400, `Invalid request: ${check.error.issues[0]?.message}`);
    }
    const messages = body.messages as { role: string; content: string }[];
    const system = options.protocol === 'openai' ? (messages.find((m) => m.role === 'system')?.content ?? '') : String(body.system ?? '');
    const user = messages.find((m) => m.role === 'user')?.content ?? '';
    const recorded: RecordedRequest = {
      path: req.url,
      headers: req.headers,
      body,
      step: system.match(/Task \((\w+)/)?.[1],
      reviewer: system.match(/Task \(review, (\w+)\)/)?.[1],
      system,
      user,
      at: Date.now() - started,
    };
    requests.push(recorded);
    const format = body.response_format as { type?: string } | undefined;
    if (options.rejectJsonSchema && format?.type === 'json_schema') {
      return sendError(res, 400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.");
    }
    const reply = await next(recorded);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    if ('hang' in reply) {
      hanging.add(res);
      return;
    }
    if ('status' in reply) return sendError(res, reply.status, reply.message ?? `HTTP ${reply.status}`, reply.headers);
    if ('raw' in reply) {
      res.writeHead(200, { 'content-type': reply.contentType ?? 'text/html' }).end(reply.raw);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(envelope(options.protocol, body, reply, system + messages.map((m) => m.content).join(''))));
  };

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake failed: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: options.protocol === 'openai' ? `${origin}/v1` : origin,
    requests,
    protocolErrors,
    get maxInFlight() {
      return maxInFlight;
    },
    setScript(s) {
      script = s;
      listIndex = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function envelope(protocol: 'openai' | 'anthropic', body: Record<string, unknown>, reply: Exclude<FakeReply, { status: number } | { hang: true } | { raw: string }>, promptText: string): unknown {
  const content = 'json' in reply ? JSON.stringify(reply.json) : 'text' in reply ? reply.text : '';
  const usage = ('usage' in reply && reply.usage) || { prompt: Math.ceil(promptText.length / 4), completion: Math.ceil(content.length / 4) };
  const truncated = 'truncated' in reply && reply.truncated;
  if (protocol === 'openai') {
    const refusal = 'refusal' in reply ? reply.refusal : null;
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: refusal ? null : content, refusal }, logprobs: null, finish_reason: truncated ? 'length' : 'stop' }],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    };
  }
  const toolName = (body.tool_choice as { name?: string } | undefined)?.name ?? 'answer';
  const blocks =
    'refusal' in reply
      ? [{ type: 'text', text: reply.refusal }]
      : 'json' in reply
        ? [{ type: 'tool_use', id: 'toolu_fake', name: toolName, input: reply.json }]
        : [{ type: 'text', text: content }];
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: blocks,
    stop_reason: 'refusal' in reply ? 'refusal' : truncated ? 'max_tokens' : 'json' in reply ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
  };
}
