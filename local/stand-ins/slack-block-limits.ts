/**
 * The Block Kit limits Slack enforces on `chat.postMessage` and `chat.update`, checked by the Slack stand-in
 * so that a message too large for Slack fails locally too, with Slack's error and message style.
 */

/** Slack's `error` and its `response_metadata.messages` for a refused message; undefined when it passes. */
export interface SlackRefusal {
  readonly error: string;
  readonly messages: readonly string[];
}

/** Slack's documented limits. */
export const BLOCK_KIT_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  blockId: 255,
  messageText: 40_000,
} as const;

type Json = Record<string, unknown>;

/** Checks a message's text and blocks against {@link BLOCK_KIT_LIMITS}. */
export function checkMessage(text: unknown, blocks: unknown): SlackRefusal | undefined {
  const hasText = typeof text === 'string' && text !== '';
  if (!hasText && blocks === undefined) return { error: 'no_text', messages: [] };
  if (typeof text === 'string' && text.length > BLOCK_KIT_LIMITS.messageText) {
    return { error: 'msg_too_long', messages: [] };
  }
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: [] };
  const messages: string[] = [];
  if (blocks.length > BLOCK_KIT_LIMITS.blocksPerMessage) {
    messages.push(
      `[ERROR] must be less than ${BLOCK_KIT_LIMITS.blocksPerMessage + 1} items [json-pointer:/blocks]`,
    );
  }
  blocks.forEach((block: unknown, i) => {
    messages.push(...checkBlock(block, `/blocks/${i}`));
  });
  return messages.length > 0 ? { error: 'invalid_blocks', messages } : undefined;
}

function checkBlock(block: unknown, at: string): string[] {
  if (typeof block !== 'object' || block === null || typeof (block as Json).type !== 'string') {
    return [`[ERROR] missing required field: type [json-pointer:${at}]`];
  }
  const b = block as Json;
  const problems: string[] = [];
  const tooLong = (value: unknown, max: number, path: string) => {
    const text = textOf(value);
    if (text !== undefined && text.length > max) {
      problems.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${at}${path}]`);
    }
  };
  const tooMany = (value: unknown, max: number, path: string) => {
    if (Array.isArray(value) && value.length > max) {
      problems.push(`[ERROR] must be less than ${max + 1} items [json-pointer:${at}${path}]`);
    }
  };
  tooLong(b.block_id, BLOCK_KIT_LIMITS.blockId, '/block_id');
  switch (b.type) {
    case 'section':
      if (b.text === undefined && b.fields === undefined) {
        problems.push(`[ERROR] must provide either text or fields [json-pointer:${at}]`);
      }
      tooLong(b.text, BLOCK_KIT_LIMITS.sectionText, '/text/text');
      tooMany(b.fields, BLOCK_KIT_LIMITS.sectionFields, '/fields');
      if (Array.isArray(b.fields)) {
        b.fields.forEach((field, i) => {
          tooLong(field, BLOCK_KIT_LIMITS.fieldText, `/fields/${i}/text`);
        });
      }
      break;
    case 'header':
      tooLong(b.text, BLOCK_KIT_LIMITS.headerText, '/text/text');
      break;
    case 'context':
      tooMany(b.elements, BLOCK_KIT_LIMITS.contextElements, '/elements');
      break;
    case 'actions':
      tooMany(b.elements, BLOCK_KIT_LIMITS.actionsElements, '/elements');
      break;
    default:
      break;
  }
  return problems;
}

/** The string of a text object (`{type, text}`) or a plain string. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).text === 'string') {
    return (value as Json).text as string;
  }
  return undefined;
}
