/**
 * The OpenAI-compatible provider: `POST {LLM_BASE_URL}/chat/completions`
 * (https://platform.openai.com/docs/api-reference/chat/create), spoken by OpenAI, Azure OpenAI,
 * Ollama, vLLM, llama.cpp's server, LM Studio and OpenRouter.
 *
 * Structured output: `response_format: { type: "json_schema", strict: true }` where the server
 * supports it; with `LLM_STRUCTURED_OUTPUT=auto`, a server that rejects it (HTTP 400 naming
 * `response_format`) is asked again in JSON mode (`json_object`), then with the schema in the prompt
 * only; the reply is validated with zod either way. Likewise a model that rejects `max_tokens` (OpenAI's
 * reasoning models want `max_completion_tokens`) or `temperature` is asked again without them.
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { postJson } from './http.js';
import { ModelError } from './model-error.js';
import {
  endpointUrl,
  estimatedUsage,
  type CallOptions,
  type ChatReply,
  type ChatRequest,
  type ModelProvider,
} from './provider.js';
import type { LlmSettings } from './settings.js';

/** The fields of a chat completion the engine uses. */
const ChatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().nonnegative(), completion_tokens: z.number().nonnegative() }).nullish(),
});

type ResponseFormatMode = 'json_schema' | 'json_object' | 'none';

/** Dependencies of {@link createOpenAiProvider} (tests and the bench may pass a dispatcher). */
export interface ProviderDeps {
  dispatcher?: Dispatcher;
}

/** Creates the OpenAI-compatible provider. */
export function createOpenAiProvider(settings: LlmSettings, deps: ProviderDeps = {}): ModelProvider {
  const url = endpointUrl(settings.baseUrl, 'chat/completions');
  const azure = /\.azure\.com$/i.test(new URL(settings.baseUrl).hostname);
  const headers: Record<string, string> = {};
  if (settings.apiKey) {
    headers.authorization = `Bearer ${settings.apiKey}`;
    if (azure) headers['api-key'] = settings.apiKey;
  }
  // What this server accepts, learnt from its 400 answers and kept for the process.
  let mode: ResponseFormatMode = settings.structuredOutput === 'auto' ? 'json_schema' : settings.structuredOutput;
  let tokenParam: 'max_tokens' | 'max_completion_tokens' = 'max_tokens';
  let sendTemperature = settings.temperature !== undefined;

  const buildBody = (request: ChatRequest) => {
    const system =
      mode === 'json_schema'
        ? request.system
        : `${request.system}\n\nReply with one JSON object, and nothing else, that matches this JSON Schema:\n${JSON.stringify(request.jsonSchema)}`;
    const body: Record<string, unknown> = {
      model: settings.model,
      messages: [{ role: 'system', content: system }, ...request.messages],
      [tokenParam]: request.maxTokens,
      stream: false,
    };
    if (sendTemperature) body.temperature = settings.temperature;
    if (mode === 'json_schema') {
      body.response_format = { type: 'json_schema', json_schema: { name: request.schemaName, strict: true, schema: request.jsonSchema } };
    } else if (mode === 'json_object') {
      body.response_format = { type: 'json_object' };
    }
    return body;
  };

  /** Adapts to a 400 answer when it names a parameter we can change; false when there is nothing to change. */
  const adapt = (error: ModelError, options: CallOptions): boolean => {
    if (error.kind !== 'http' || (error.status !== 400 && error.status !== 422)) return false;
    const body = error.body ?? '';
    if (tokenParam === 'max_tokens' && /max_completion_tokens/.test(body)) {
      tokenParam = 'max_completion_tokens';
    } else if (sendTemperature && /temperature/i.test(body)) {
      sendTemperature = false;
    } else if (settings.structuredOutput === 'auto' && mode !== 'none' && /response_format|json_schema|json_object|structured/i.test(body)) {
      mode = mode === 'json_schema' ? 'json_object' : 'none';
    } else {
      return false;
    }
    options.log?.warn({ status: error.status, mode, tokenParam, sendTemperature }, 'the model endpoint rejected a parameter; asking again without it');
    return true;
  };

  return {
    name: 'openai',
    model: settings.model,
    async complete(request, options): Promise<ChatReply> {
      // Each adaptation changes one setting for good, so a few rounds at most.
      for (let round = 0; ; round++) {
        let json: unknown;
        try {
          ({ json } = await postJson({
            url,
            headers,
            body: buildBody(request),
            signal: options.signal,
            timeoutMs: settings.timeoutMs,
            maxRetries: settings.maxRetries,
            ...(options.log ? { log: options.log } : {}),
            ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
            ...(settings.apiKey ? { secrets: [settings.apiKey] } : {}),
          }));
        } catch (error) {
          if (error instanceof ModelError && round < 4 && adapt(error, options)) continue;
          if (error instanceof ModelError && error.status === 404) {
            throw new ModelError('http', `${error.message} Check LLM_BASE_URL (OpenAI-compatible servers usually end in /v1, e.g. http://localhost:11434/v1) and LLM_MODEL.`, {
              status: 404,
              url,
              ...(error.body !== undefined ? { body: error.body } : {}),
              cause: error,
            });
          }
          throw error;
        }
        return readCompletion(json, request, url);
      }
    },
  };
}

function readCompletion(json: unknown, request: ChatRequest, url: string): ChatReply {
  const parsed = ChatCompletionSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelError('protocol', `The endpoint's reply is not an OpenAI chat completion (${parsed.error.issues[0]?.message}); check LLM_BASE_URL.`, {
      url,
      body: JSON.stringify(json).slice(0, 500),
    });
  }
  const choice = parsed.data.choices[0]!;
  if (choice.message.refusal) throw new ModelError('refusal', `The model declined: ${choice.message.refusal}`, { url });
  if (choice.finish_reason === 'content_filter') throw new ModelError('refusal', 'The reply was withheld by the content filter.', { url });
  const text = choice.message.content ?? '';
  const usage = parsed.data.usage
    ? { promptTokens: parsed.data.usage.prompt_tokens, completionTokens: parsed.data.usage.completion_tokens }
    : estimatedUsage(request, text);
  return { text, usage, truncated: choice.finish_reason === 'length' };
}
