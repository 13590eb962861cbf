// Block Kit limits, kept as a budget a message builder spends. Slack rejects a whole message when
// one limit is crossed, so the renderers fit content to the budget and say what they left out.
import type { types as SlackTypes } from '@slack/bolt';
import { escapeMrkdwn, truncate, truncateAtClause } from './mrkdwn.js';

export type Block = SlackTypes.KnownBlock;

/**
 * A legacy attachment holding blocks: still the only way a bot message gets a colour bar. Its
 * blocks count towards the same budget as the message's own.
 */
export interface SlackAttachment {
  color: string;
  blocks: Block[];
  fallback?: string;
}

export interface SlackMessage {
  /** Fallback for notifications and screen readers; always set. */
  text: string;
  blocks: Block[];
  attachments?: SlackAttachment[];
}

/** Every block of a message, its attachments' included, in reading order. */
export function messageBlocks(message: SlackMessage): Block[] {
  return [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
}

export interface SlackThread {
  parent: SlackMessage;
  replies: SlackMessage[];
}

export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionsElements: 25,
  buttonUrl: 3000,
  /** Slack answers msg_blocks_too_long near 13,200 characters of block text; stay well clear. */
  blockTextPerMessage: 12_000,
  /** Notification text: Slack truncates at 40,000, but nobody reads past a screen. */
  fallbackText: 3000,
} as const;

/** Room kept back so an "…and N more" note always fits after a message fills up. */
const OVERFLOW_RESERVE_CHARS = 200;

export function blockTextLength(block: unknown): number {
  if (Array.isArray(block)) return block.reduce<number>((sum, b) => sum + blockTextLength(b), 0);
  if (!block || typeof block !== 'object') return 0;
  let sum = 0;
  for (const [key, value] of Object.entries(block)) {
    if (key === 'text' && typeof value === 'string') sum += value.length;
    else if (typeof value === 'object') sum += blockTextLength(value);
  }
  return sum;
}

/** Collects blocks for one message, refusing any block that would break a limit. */
export class MessageBuilder {
  readonly blocks: Block[] = [];
  private chars = 0;

  constructor(private readonly reserveBlocks = 1) {}

  /**
   * Adds the block when it fits, leaving room for an overflow note and for `keepRoomFor` (a block
   * the caller still means to add); reports whether it did.
   */
  tryAdd(block: Block, keepRoomFor?: Block): boolean {
    const length = blockTextLength(block);
    const keptBlocks = this.reserveBlocks + (keepRoomFor ? 1 : 0);
    const keptChars = OVERFLOW_RESERVE_CHARS + (keepRoomFor ? blockTextLength(keepRoomFor) : 0);
    if (this.blocks.length + 1 > SLACK_LIMITS.blocksPerMessage - keptBlocks) return false;
    if (this.chars + length > SLACK_LIMITS.blockTextPerMessage - keptChars) return false;
    this.blocks.push(block);
    this.chars += length;
    return true;
  }

  /** The closing note, which may use the reserve. */
  addOverflowNote(mrkdwn: string): void {
    const block = context(mrkdwn);
    if (this.blocks.length < SLACK_LIMITS.blocksPerMessage && this.chars + blockTextLength(block) <= SLACK_LIMITS.blockTextPerMessage) {
      this.blocks.push(block);
      this.chars += blockTextLength(block);
    }
  }

  message(fallback: string): SlackMessage {
    return { text: fallbackText(fallback), blocks: this.blocks };
  }

  /**
   * The first `leading` blocks stay in the message (a header reads above the bar); the rest go
   * into one attachment coloured for the status.
   */
  coloured(fallback: string, color: string, leading = 1): SlackMessage {
    return { text: fallbackText(fallback), blocks: this.blocks.slice(0, leading), attachments: [{ color, blocks: this.blocks.slice(leading) }] };
  }
}

/**
 * The `text` of a message from raw (unescaped) words. Slack parses it as mrkdwn for
 * notifications too, so cluster data in it is escaped like everywhere else.
 */
export function fallbackText(raw: string): string {
  const text = raw.trim() === '' ? 'netcheck' : raw;
  return truncate(escapeMrkdwn(truncate(text, SLACK_LIMITS.fallbackText - 100)), SLACK_LIMITS.fallbackText);
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) } };
}

export function header(plain: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncateAtClause(plain, SLACK_LIMITS.headerText), emoji: true } };
}

/** A context line; each element within the per-element text limit, at most ten elements. */
export function context(...mrkdwn: string[]): Block {
  const elements = mrkdwn
    .filter((t) => t !== '')
    .slice(0, SLACK_LIMITS.contextElements)
    .map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, SLACK_LIMITS.sectionText) }));
  return { type: 'context', elements: elements.length > 0 ? elements : [{ type: 'mrkdwn', text: ' ' }] };
}

export function divider(): Block {
  return { type: 'divider' };
}

export type ButtonElement = Extract<Extract<Block, { type: 'actions' }>['elements'][number], { type: 'button' }>;

export interface ButtonSpec {
  text: string;
  actionId: string;
  /** Sent back on click; at most 2000 characters. */
  value?: string;
  /** A link button (Slack still sends a click payload, which must be acknowledged). */
  url?: string;
  style?: 'primary' | 'danger';
}

export function buttonElement(spec: ButtonSpec): ButtonElement {
  if (spec.value !== undefined && spec.value.length > SLACK_LIMITS.buttonValue) {
    throw new RangeError(`button value for ${spec.actionId} is ${spec.value.length} characters; Slack allows at most ${SLACK_LIMITS.buttonValue}`);
  }
  return {
    type: 'button',
    action_id: spec.actionId,
    text: { type: 'plain_text', text: truncate(spec.text, SLACK_LIMITS.buttonText), emoji: true },
    ...(spec.value !== undefined ? { value: spec.value } : {}),
    ...(spec.url !== undefined ? { url: spec.url } : {}),
    ...(spec.style ? { style: spec.style } : {}),
  };
}

/** One actions block; Slack allows 25 elements in it. */
export function actions(specs: ButtonSpec[], blockId?: string): Block {
  return { type: 'actions', ...(blockId ? { block_id: blockId } : {}), elements: specs.slice(0, SLACK_LIMITS.actionsElements).map(buttonElement) };
}

export function button(text: string, actionId: string, value: string): Block {
  return actions([{ text, actionId, value }]);
}

/** A section with a button beside its text (e.g. a silence and its Unsilence). */
export function sectionWithButton(mrkdwn: string, spec: ButtonSpec): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) }, accessory: buttonElement(spec) };
}
