/** Checks on what the bot sends: no live mention, no unescaped control character, no smuggled link. */

interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

/** Every text object inside blocks (any depth). */
export function textObjects(value: unknown): TextObject[] {
  const found: TextObject[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') found.push({ type: o.type, text: o.text });
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return found;
}

/**
 * Problems of one mrkdwn string: a `<!...>` special mention, a user mention other than the allowed
 * ones, a bare `&`, or a `<` that does not open an allowed mention or an http(s) link to an allowed host.
 */
export function mrkdwnProblems(text: string, allowedUsers: readonly string[], blockedHosts: readonly string[] = ['evil.example']): string[] {
  const problems: string[] = [];
  if (text.includes('<!')) problems.push(`special mention in: ${text}`);
  for (const m of text.matchAll(/&(?!amp;|lt;|gt;)/g)) problems.push(`bare & at ${m.index} in: ${text}`);
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) {
    const rest = text.slice(i);
    const mention = /^<@([A-Z0-9]+)>/.exec(rest);
    if (mention) {
      if (!allowedUsers.includes(mention[1]!)) problems.push(`mention of ${mention[1]} in: ${text}`);
      continue;
    }
    const linkMatch = /^<(https?:\/\/[^|>\s]+)\|([^<>]*)>/.exec(rest) ?? /^<(https?:\/\/[^|>\s]+)>/.exec(rest);
    if (!linkMatch) {
      problems.push(`stray < at ${i} in: ${text}`);
      continue;
    }
    const host = new URL(linkMatch[1]!).hostname;
    if (blockedHosts.includes(host)) problems.push(`link to ${host} in: ${text}`);
  }
  return problems;
}

/** Problems of everything in one call's `text` and `blocks`. */
export function messageProblems(args: { text?: unknown; blocks?: unknown }, allowedUsers: readonly string[]): string[] {
  const problems: string[] = [];
  if (typeof args.text === 'string') problems.push(...mrkdwnProblems(args.text, allowedUsers));
  for (const t of textObjects(args.blocks)) {
    if (t.type === 'mrkdwn') problems.push(...mrkdwnProblems(t.text, allowedUsers));
    else if (/<[!@#]/.test(t.text)) problems.push(`mention syntax in plain text: ${t.text}`);
  }
  return problems;
}

/** The `value` of the button with this action id, anywhere in the blocks. */
export function buttonValue(blocks: unknown, actionId: string): string | undefined {
  let found: string | undefined;
  const walk = (v: unknown) => {
    if (found !== undefined) return;
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'button' && o.action_id === actionId && typeof o.value === 'string') found = o.value;
      else Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

/** True for the answer message: the one whose first block is the header (the bottom line, or the title). */
export function isAnswerMessage(message: { blocks?: unknown }): boolean {
  return Array.isArray(message.blocks) && (message.blocks[0] as { type?: unknown } | undefined)?.type === 'header';
}
