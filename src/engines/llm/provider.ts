/**
 * The model behind one small interface: a system prompt, messages and the JSON schema the reply must
 * follow in; the reply's text (JSON) and token usage out. Two implementations speak the wire
 * protocols: `openai.ts` (any OpenAI-compatible `/chat/completions`) and `anthropic.ts` (Messages API).
 */
import type { Logger } from 'pino';
import type { ProviderName } from './settings.js';

/** One turn of the conversation after the system prompt. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A request for one structured reply. */
export interface ChatRequest {
  system: string;
  messages: ChatMessage[];
  /** Name of the reply's schema (letters, digits, `_` and `-`). */
  schemaName: string;
  /** JSON Schema of the reply (an object with every property required, no additional properties). */
  jsonSchema: Record<string, unknown>;
  maxTokens: number;
}

/** Tokens a call used, as the provider reported them (or estimated when it did not). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the provider reported no usage and the numbers are estimates from the text length. */
  estimated?: boolean;
}

/** The reply: its text (expected to be JSON) and usage. */
export interface ChatReply {
  text: string;
  usage: TokenUsage;
  /** The reply stopped at the output token limit, so its JSON may be cut off. */
  truncated: boolean;
}

/** Per-call options. */
export interface CallOptions {
  signal: AbortSignal;
  log?: Logger;
}

/** A chat model endpoint. Throws a `ModelError` (kind `refusal` when the model declines). */
export interface ModelProvider {
  readonly name: ProviderName;
  readonly model: string;
  complete(request: ChatRequest, options: CallOptions): Promise<ChatReply>;
}

/** Rough token count of a text (about four characters a token in English), for estimates and budgets. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Usage estimated from the texts, for providers that report none. */
export function estimatedUsage(request: ChatRequest, replyText: string): TokenUsage {
  const prompt = request.system + request.messages.map((m) => m.content).join('\n') + JSON.stringify(request.jsonSchema);
  return { promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(replyText), estimated: true };
}

/** Joins a base URL and a path, keeping the base's own path and query (Azure's `?api-version=`). */
export function endpointUrl(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return url.toString();
}
