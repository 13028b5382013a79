/**
 * Validation of what the bot sends: every `blocks` payload against the (third-party) Block Kit JSON
 * schema in ../shared/data/slack-block-kit-schema, plus the adapter's own limit checks; and every Web
 * API call's parameters against Slack's OpenAPI spec in ../shared/data/slack-api-specs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as addFormatsModule from 'ajv-formats';
import { checkBlockLimits } from '../../adapters/slack/limits.js';

/** ../shared/data, resolved from the repository root. */
export const SHARED_DATA = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'data');

// ajv-formats is CommonJS: under NodeNext its `default` is `module.exports`, the plugin function.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv2020) => Ajv2020;

let validateBlocks: ((data: unknown) => boolean) & { errors?: unknown } | undefined;

/** Problems of one `blocks` payload: schema errors and limit breaches (empty when valid). */
export function blockProblems(blocks: unknown): string[] {
  if (!validateBlocks) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(resolve(SHARED_DATA, 'slack-block-kit-schema', 'slack-block-kit.schema.json'), 'utf8')) as object;
    validateBlocks = ajv.compile(schema);
  }
  if (!Array.isArray(blocks)) return ['blocks is not an array'];
  const problems: string[] = [];
  if (!validateBlocks(blocks)) {
    const errors = (validateBlocks.errors as { instancePath: string; message?: string }[] | null | undefined) ?? [];
    problems.push(...errors.slice(0, 5).map((e) => `schema: ${e.instancePath} ${e.message ?? ''}`));
  }
  problems.push(...checkBlockLimits(blocks));
  return problems;
}

interface SpecParameter {
  name: string;
  in: string;
  required?: boolean;
}

let spec: { paths: Record<string, Record<string, { parameters?: SpecParameter[]; security?: { slackAuth?: string[] }[] }>> } | undefined;

function loadSpec() {
  spec ??= JSON.parse(readFileSync(resolve(SHARED_DATA, 'slack-api-specs', 'slack_web_openapi_v2.json'), 'utf8')) as typeof spec;
  return spec!;
}

/** The spec's operation for a method, when the (2021) spec has it. */
function operation(method: string) {
  const path = loadSpec().paths[`/${method}`];
  return path ? (path.post ?? path.get) : undefined;
}

/**
 * Problems of a call's parameters against the spec: missing required ones and unknown names. Methods
 * newer than the spec (files.*External, assistant.*) are not checked.
 */
export function paramProblems(method: string, args: Record<string, unknown>): string[] {
  const op = operation(method);
  if (!op?.parameters) return [];
  const known = new Set([...op.parameters.filter((p) => p.in === 'formData' || p.in === 'query').map((p) => p.name), ...(NEWER_PARAMETERS[method] ?? [])]);
  const problems: string[] = [];
  for (const p of op.parameters) if (p.required && (p.in === 'formData' || p.in === 'query') && args[p.name] === undefined) problems.push(`${method}: missing ${p.name}`);
  for (const name of Object.keys(args)) if (!known.has(name) && name !== 'token' && name !== 'team_id') problems.push(`${method}: unknown parameter ${name}`);
  return problems;
}

/**
 * Parameters newer than the recorded spec (message metadata, 2022): `chat.postMessage`'s `metadata`
 * (https://docs.slack.dev/messaging/message-metadata) and `include_all_metadata` of the conversation
 * readers (in @slack/web-api's `ConversationsRepliesArguments` / `ConversationsHistoryArguments`).
 */
const NEWER_PARAMETERS: Record<string, string[]> = {
  'chat.postMessage': ['metadata'],
  'conversations.replies': ['include_all_metadata'],
  'conversations.history': ['include_all_metadata'],
};

/**
 * The bot scopes the spec says a method needs, any one of which is enough (granular scopes such as
 * `chat:write:bot` are given by their modern name, `chat:write`; methods newer than the spec are hand-filled).
 */
export function scopesFor(method: string): string[] {
  const newer: Record<string, string[]> = {
    'assistant.threads.setStatus': ['chat:write'],
    'files.getUploadURLExternal': ['files:write'],
    'files.completeUploadExternal': ['files:write'],
  };
  if (newer[method]) return newer[method];
  const op = operation(method);
  const scopes = op?.security?.flatMap((s) => s.slackAuth ?? []) ?? [];
  return [...new Set(scopes.filter((s) => s !== 'none').map((s) => s.replace(/:(?:bot|user)$/, '')))];
}
