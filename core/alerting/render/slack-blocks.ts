/**
 * The subset of Slack Block Kit that Seismo messages use, with Slack's documented limits, and a checker a test
 * (or a sender, before posting) can run. Structurally compatible with `@slack/web-api`'s block types.
 */

/** Plain text object. */
export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}

/** Markdown ("mrkdwn") text object. */
export interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}

/** A button element. */
export interface ButtonElement {
  readonly type: 'button';
  readonly text: PlainText;
  readonly action_id: string;
  readonly value?: string;
  readonly url?: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: {
    readonly title: PlainText;
    readonly text: PlainText;
    readonly confirm: PlainText;
    readonly deny: PlainText;
  };
}

/** The blocks used. */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: PlainText }
  | { readonly type: 'section'; readonly text?: Mrkdwn; readonly fields?: readonly Mrkdwn[] }
  | { readonly type: 'context'; readonly elements: readonly Mrkdwn[] }
  | { readonly type: 'divider' }
  | { readonly type: 'actions'; readonly block_id?: string; readonly elements: readonly ButtonElement[] };

/** A message for `chat.postMessage` and `chat.update`: blocks plus the plain-text fallback (notifications, screen readers). */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's documented Block Kit limits. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  actionsElements: 25,
  /** Slack truncates `text` beyond 40,000 characters; Seismo keeps the fallback far shorter. */
  fallbackText: 40_000,
} as const;

/** Every limit a message breaks, one line each; empty when it fits. */
export function slackLimitViolations(message: SlackMessage): string[] {
  const out: string[] = [];
  const len = (s: string) => Array.from(s).length;
  if (message.blocks.length > SLACK_LIMITS.blocks)
    out.push(`${message.blocks.length} blocks > ${SLACK_LIMITS.blocks}`);
  if (len(message.text) > SLACK_LIMITS.fallbackText) out.push('fallback text too long');
  message.blocks.forEach((block, i) => {
    if (block.type === 'header' && len(block.text.text) > SLACK_LIMITS.headerText)
      out.push(`blocks[${i}] header too long`);
    if (block.type === 'section') {
      if (block.text && len(block.text.text) > SLACK_LIMITS.sectionText)
        out.push(`blocks[${i}] section text too long`);
      if ((block.fields?.length ?? 0) > SLACK_LIMITS.fields)
        out.push(`blocks[${i}] more than ${SLACK_LIMITS.fields} fields`);
      block.fields?.forEach((f, j) => {
        if (len(f.text) > SLACK_LIMITS.fieldText) out.push(`blocks[${i}].fields[${j}] too long`);
      });
      if (!block.text && !block.fields?.length) out.push(`blocks[${i}] empty section`);
    }
    if (block.type === 'context' && block.elements.length > SLACK_LIMITS.contextElements) {
      out.push(`blocks[${i}] more than ${SLACK_LIMITS.contextElements} context elements`);
    }
    if (block.type === 'actions') {
      block.elements.forEach((b, j) => {
        if (len(b.text.text) > SLACK_LIMITS.buttonText)
          out.push(`blocks[${i}].elements[${j}] button text too long`);
        if (b.value !== undefined && len(b.value) > SLACK_LIMITS.buttonValue)
          out.push(`blocks[${i}].elements[${j}] value too long`);
        if (b.action_id.length > SLACK_LIMITS.actionId)
          out.push(`blocks[${i}].elements[${j}] action_id too long`);
      });
    }
  });
  return out;
}

/** Escapes text for mrkdwn: `&`, `<` and `>` (so a series name cannot mention @channel or forge a link). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Text shown verbatim in mrkdwn: escaped and in a code span (no bold, italics or strike from `*_~`). */
export function codeSpan(text: string): string {
  return `\`${escapeMrkdwn(text.replaceAll('`', "'").replace(/[\r\n]+/g, ' '))}\``;
}
