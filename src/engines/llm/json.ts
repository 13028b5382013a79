/**
 * Reading a model's JSON reply and describing the expected shape: replies are parsed leniently
 * (code fences and chatter around one object are tolerated) and then validated strictly with zod;
 * the JSON Schema sent to the model is generated from the same zod schema, so the two never drift.
 */
import { z } from 'zod';

/** Parses the JSON object in a model's reply; throws a `SyntaxError` when there is none. */
export function parseModelJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = trimmed.match(/^```(?:json)?\s*([\s\S]*?)\s*```$/i);
  const candidate = fenced ? fenced[1]! : trimmed;
  try {
    return JSON.parse(candidate);
  } catch (error) {
    // Some models wrap the object in a sentence; take the outermost braces if they parse.
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        return JSON.parse(candidate.slice(start, end + 1));
      } catch {
        // fall through to the original error
      }
    }
    throw error;
  }
}

/** The outcome of {@link readReply}. */
export type ReplyCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Parses and validates a reply; `problem` says what is wrong in words the repair prompt can use. */
export function readReply<T>(text: string, schema: z.ZodType<T>): ReplyCheck<T> {
  let json: unknown;
  try {
    json = parseModelJson(text);
  } catch (error) {
    return { ok: false, problem: `The reply is not valid JSON (${(error as Error).message}).` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, problem: `The JSON does not match the required schema: ${issues}.` };
}

/**
 * The JSON Schema of a zod object schema, in the subset strict structured outputs accept: every
 * property required, no additional properties, no `$schema` header.
 */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output' }) as Record<string, unknown>;
  return rest;
}
