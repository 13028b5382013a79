/**
 * Block Kit's limits, in one place, and a checker for them. The views are built to stay within these
 * limits by construction (fixed page sizes, every text shortened to its field's limit); the checker
 * guards that promise at run time and in tests.
 * See https://docs.slack.dev/reference/block-kit/blocks and .../block-elements/button-element
 */

/** Limits of one message. */
export const LIMITS = {
  /** Blocks in one message. */
  blocks: 50,
  /** `text` of a section block. */
  sectionText: 3000,
  /** Each of a section's `fields`. */
  sectionField: 2000,
  /** A header's plain text. */
  header: 150,
  /** A button's label. */
  buttonText: 75,
  /** A button's `value`. */
  buttonValue: 2000,
  /** Any `action_id` or `block_id`. */
  actionId: 255,
  /** Elements of a context block. */
  contextElements: 10,
  /** Elements of an actions block. */
  actionElements: 25,
  /** The top-level `text` of a message (Slack truncates beyond 40,000; we stay far below). */
  messageText: 3000,
} as const;

type Json = Record<string, unknown>;

const textOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && typeof (value as Json).text === 'string' ? ((value as Json).text as string) : undefined;

function checkElement(element: Json, where: string, problems: string[]): void {
  if (typeof element.action_id === 'string' && element.action_id.length > LIMITS.actionId) problems.push(`${where}: action_id over ${LIMITS.actionId}`);
  if (element.type === 'button') {
    const label = textOf(element.text) ?? '';
    if (label.length > LIMITS.buttonText) problems.push(`${where}: button text over ${LIMITS.buttonText}`);
    if (typeof element.value === 'string' && element.value.length > LIMITS.buttonValue) problems.push(`${where}: button value over ${LIMITS.buttonValue}`);
  }
  const text = textOf(element);
  if (text !== undefined && text.length > LIMITS.sectionText) problems.push(`${where}: text over ${LIMITS.sectionText}`);
}

function checkBlock(block: Json, where: string, problems: string[]): void {
  if (typeof block.block_id === 'string' && block.block_id.length > LIMITS.actionId) problems.push(`${where}: block_id over ${LIMITS.actionId}`);
  switch (block.type) {
    case 'header': {
      const text = textOf(block.text) ?? '';
      if (text.length > LIMITS.header) problems.push(`${where}: header over ${LIMITS.header}`);
      break;
    }
    case 'section': {
      const text = textOf(block.text);
      if (text !== undefined && text.length > LIMITS.sectionText) problems.push(`${where}: section text ${text.length} > ${LIMITS.sectionText}`);
      for (const field of (block.fields as Json[] | undefined) ?? []) {
        if ((textOf(field) ?? '').length > LIMITS.sectionField) problems.push(`${where}: field over ${LIMITS.sectionField}`);
      }
      if (block.accessory) checkElement(block.accessory as Json, `${where}.accessory`, problems);
      break;
    }
    case 'context': {
      const elements = (block.elements as Json[] | undefined) ?? [];
      if (elements.length > LIMITS.contextElements) problems.push(`${where}: over ${LIMITS.contextElements} context elements`);
      elements.forEach((e, i) => checkElement(e, `${where}.elements[${i}]`, problems));
      break;
    }
    case 'actions': {
      const elements = (block.elements as Json[] | undefined) ?? [];
      if (elements.length > LIMITS.actionElements) problems.push(`${where}: over ${LIMITS.actionElements} action elements`);
      elements.forEach((e, i) => checkElement(e, `${where}.elements[${i}]`, problems));
      break;
    }
  }
}

/**
 * Lists every way `blocks` break the limits above (empty when within them), including action ids that
 * repeat inside one message.
 */
export function checkBlockLimits(blocks: readonly unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > LIMITS.blocks) problems.push(`${blocks.length} blocks > ${LIMITS.blocks}`);
  blocks.forEach((block, i) => checkBlock(block as Json, `blocks[${i}]`, problems));
  const actionIds = blocks.flatMap((b) => {
    const block = b as Json;
    const elements = [...(((block.elements as Json[] | undefined) ?? []) as Json[]), ...(block.accessory ? [block.accessory as Json] : [])];
    return elements.map((e) => e.action_id).filter((id): id is string => typeof id === 'string');
  });
  const seen = new Set<string>();
  for (const id of actionIds) {
    if (seen.has(id)) problems.push(`action_id ${id} repeats`);
    seen.add(id);
  }
  return problems;
}
