/**
 * The Anthropic provider: `POST {LLM_BASE_URL}/v1/messages` (https://docs.anthropic.com/en/api/messages).
 * Structured output uses a forced tool call (`tool_choice: { type: "tool" }`, the tool's
 * `input_schema` being the reply's JSON Schema), which every Claude model with tool use honours;
 * a text reply is accepted too and validated the same way. `stop_reason: "refusal"` is a refusal.
 */
import { z } from 'zod';
import { postJson } from './http.js';
import { ModelError } from './model-error.js';
import type { ProviderDeps } from './openai.js';
import { endpointUrl, estimatedUsage, type ChatReply, type ModelProvider } from './provider.js';
import type { LlmSettings } from './settings.js';

/** The Messages API version this client speaks (https://docs.anthropic.com/en/api/versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';

/** The fields of a Messages API reply the engine uses. */
const MessageSchema = z.object({
  content: z.array(
    z.union([
      z.object({ type: z.literal('tool_use'), name: z.string(), input: z.unknown() }),
      z.object({ type: z.literal('text'), text: z.string() }),
      z.object({ type: z.string() }),
    ]),
  ),
  stop_reason: z.string().nullish(),
  usage: z
    .object({
      input_tokens: z.number().nonnegative(),
      output_tokens: z.number().nonnegative(),
      cache_creation_input_tokens: z.number().nullish(),
      cache_read_input_tokens: z.number().nullish(),
    })
    .nullish(),
});

/** Creates the Anthropic provider. */
export function createAnthropicProvider(settings: LlmSettings, deps: ProviderDeps = {}): ModelProvider {
  // Accept a base URL given with or without the `/v1` the SDKs leave out.
  const url = endpointUrl(settings.baseUrl, /\/v1\/?$/.test(new URL(settings.baseUrl).pathname) ? 'messages' : 'v1/messages');
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
  if (settings.apiKey) headers['x-api-key'] = settings.apiKey;

  return {
    name: 'anthropic',
    model: settings.model,
    async complete(request, options): Promise<ChatReply> {
      const body: Record<string, unknown> = {
        model: settings.model,
        max_tokens: request.maxTokens,
        system: request.system,
        messages: request.messages,
        tools: [{ name: request.schemaName, description: 'Record your answer in this exact structure.', input_schema: request.jsonSchema }],
        tool_choice: { type: 'tool', name: request.schemaName },
      };
      if (settings.temperature !== undefined) body.temperature = Math.min(1, settings.temperature);
      const { json } = await postJson({
        url,
        headers,
        body,
        signal: options.signal,
        timeoutMs: settings.timeoutMs,
        maxRetries: settings.maxRetries,
        ...(options.log ? { log: options.log } : {}),
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
        ...(settings.apiKey ? { secrets: [settings.apiKey] } : {}),
      });
      const parsed = MessageSchema.safeParse(json);
      if (!parsed.success) {
        throw new ModelError('protocol', `The endpoint's reply is not an Anthropic message (${parsed.error.issues[0]?.message}); check LLM_BASE_URL.`, {
          url,
          body: JSON.stringify(json).slice(0, 500),
        });
      }
      const message = parsed.data;
      if (message.stop_reason === 'refusal') throw new ModelError('refusal', 'The model declined to answer.', { url });
      let text = '';
      for (const block of message.content) {
        if (block.type === 'tool_use' && 'input' in block) {
          text = JSON.stringify(block.input);
          break;
        }
        if (block.type === 'text' && 'text' in block) text += block.text;
      }
      const usage = message.usage
        ? {
            promptTokens:
              message.usage.input_tokens + (message.usage.cache_creation_input_tokens ?? 0) + (message.usage.cache_read_input_tokens ?? 0),
            completionTokens: message.usage.output_tokens,
          }
        : estimatedUsage(request, text);
      return { text, usage, truncated: message.stop_reason === 'max_tokens' };
    },
  };
}
