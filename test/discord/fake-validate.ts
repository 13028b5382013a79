/**
 * Checks what the bot sends: every request body against the official Discord OpenAPI 3.1 spec
 * (`../shared/data/discord-api-spec/openapi.json`, validated with ajv in JSON Schema 2020-12 mode),
 * and against the platform limits the spec does not encode (content 2,000, embed totals, custom_id
 * length, Components V2 counts) and the bot's own rules (no mentions allowed).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, formats?: string[]) => void;

/** Root of the shared data next to the repository. */
export const SHARED_DATA = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const SPEC_PATH = resolve(SHARED_DATA, 'discord-api-spec', 'openapi.json');

interface Operation {
  requestBody?: { content: Record<string, { schema: unknown }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
}

function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `discord.json${v}` : rebase(v);
    return out;
  }
  return schema;
}

/** A validator of request bodies against the spec, by method and concrete path. */
export interface SpecValidator {
  /** Errors (empty when valid); throws when the spec has no such operation. */
  validate(method: string, path: string, body: unknown, multipart: boolean): string[];
}

/** Loads the spec and returns a validator; compiled validators are cached per operation. */
export function createSpecValidator(): SpecValidator {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv, ['uri', 'date-time']);
  for (const name of ['int32', 'int64', 'double', 'snowflake', 'nonce']) ajv.addFormat(name, true);
  ajv.addSchema(spec as object, 'discord.json');
  const templates = Object.keys(spec.paths).map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[a-z_0-9]+\\?\}/g, '[^/]+')}$`),
    literal: template.replace(/\{[^}]+\}/g, '').length,
  }));
  const cache = new Map<string, ValidateFunction>();
  return {
    validate(method, path, body, multipart) {
      // Prefer the most literal template (`/messages/@original` over `/messages/{message_id}`).
      const match = templates.filter((t) => t.regex.test(path)).sort((a, b) => b.literal - a.literal)[0];
      const operation = match && spec.paths[match.template]?.[method.toLowerCase()];
      if (!match || !operation) throw new Error(`no operation ${method} ${path} in the Discord spec`);
      const key = `${method} ${match.template} ${multipart}`;
      let validate = cache.get(key);
      if (!validate) {
        const content = operation.requestBody?.content ?? {};
        const schema = (multipart ? content['multipart/form-data'] : content['application/json'])?.schema;
        if (!schema) throw new Error(`${method} ${match.template} takes no ${multipart ? 'multipart' : 'JSON'} body`);
        validate = ajv.compile(rebase(schema) as object);
        cache.set(key, validate);
      }
      return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
    },
  };
}

interface Embed {
  title?: string;
  description?: string;
  footer?: { text: string };
  author?: { name: string };
  fields?: { name: string; value: string }[];
}
interface Component {
  type: number;
  custom_id?: string;
  label?: string;
  content?: string;
  components?: Component[];
  accessory?: Component;
  options?: { label: string; value: string; description?: string }[];
}

const IS_COMPONENTS_V2 = 1 << 15;

function walk(components: readonly Component[], visit: (c: Component) => void) {
  for (const c of components) {
    visit(c);
    if (c.components) walk(c.components, visit);
    if (c.accessory) walk([c.accessory], visit);
  }
}

/** Limits the spec does not encode (or encodes more loosely): returns the broken ones. */
export function checkMessageLimits(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const content = body.content as string | undefined;
  if (content !== undefined && content !== null && content.length > 2000) errors.push(`content ${content.length} > 2000`);
  const embeds = (body.embeds as Embed[] | undefined) ?? [];
  if (embeds.length > 10) errors.push('more than 10 embeds');
  let total = 0;
  for (const e of embeds) {
    if ((e.title?.length ?? 0) > 256) errors.push('embed title > 256');
    if ((e.description?.length ?? 0) > 4096) errors.push('embed description > 4096');
    if ((e.fields?.length ?? 0) > 25) errors.push('more than 25 fields');
    for (const f of e.fields ?? []) {
      if (f.name.length > 256) errors.push('field name > 256');
      if (f.value.length > 1024) errors.push('field value > 1024');
      if (f.value.length === 0 || f.name.length === 0) errors.push('empty field');
    }
    total += (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0);
    total += (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  }
  if (total > 6000) errors.push(`embeds total ${total} > 6000`);
  const components = (body.components as Component[] | undefined) ?? [];
  const v2 = ((body.flags as number | undefined) ?? 0) & IS_COMPONENTS_V2;
  let count = 0;
  let text = 0;
  walk(components, (c) => {
    count++;
    if (c.custom_id !== undefined && c.custom_id.length > 100) errors.push(`custom_id ${c.custom_id.length} > 100`);
    if (c.label !== undefined && c.label.length > 80) errors.push('button label > 80');
    if (c.content) text += c.content.length;
    for (const o of c.options ?? []) if (o.label.length > 100 || o.value.length > 100 || (o.description?.length ?? 0) > 100) errors.push('select option > 100');
  });
  if (v2 && (count > 40 || text > 4000)) errors.push(`components v2: ${count} components, ${text} characters`);
  if (!v2 && components.length > 5) errors.push('more than 5 action rows');
  return errors;
}

/**
 * The bot's rule: anything it posts can mention nobody, except that an answer may ping the user who
 * asked (one of `askers`), and only when its content mentions them.
 */
export function checkNoMentions(body: Record<string, unknown>, askers: ReadonlySet<string> = new Set()): string[] {
  const allowed = body.allowed_mentions as { parse?: unknown[]; users?: unknown[]; roles?: unknown[]; replied_user?: boolean } | undefined;
  if (!allowed) return ['allowed_mentions missing'];
  const errors: string[] = [];
  if (!Array.isArray(allowed.parse) || allowed.parse.length > 0) errors.push('allowed_mentions.parse is not []');
  if ((allowed.roles?.length ?? 0) > 0) errors.push('allowed_mentions lists roles');
  const users = allowed.users ?? [];
  if (users.length > 1) errors.push('allowed_mentions lists more than one user');
  const content = typeof body.content === 'string' ? body.content : '';
  for (const user of users) {
    if (typeof user !== 'string' || !askers.has(user)) errors.push(`allowed_mentions lists ${String(user)}, who asked nothing`);
    else if (!content.includes(`<@${user}>`)) errors.push(`allowed_mentions lists ${user}, whom the content does not mention`);
  }
  if (allowed.replied_user === true) errors.push('allowed_mentions.replied_user is true');
  return errors;
}
