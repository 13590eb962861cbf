// Text helpers shared by the Slack and terminal renderers. Everything that comes from the cluster
// (object names, messages, evidence) passes through `escapeMrkdwn` before it reaches Slack, so a
// pod named "<!channel>" cannot ping a channel or forge a link.

/** Slack's three control characters; everything else in mrkdwn is literal once these are escaped. */
export function escapeMrkdwn(value: string): string {
  return stripControl(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Removes C0/C1 control characters (ANSI escapes, NULs) except newline and tab: cluster data is
 * printed to terminals too, where an escape sequence could rewrite what the reader sees.
 */
export function stripControl(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Shortens to at most `max` characters, ending with an ellipsis when something was cut. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  if (max <= 1) return '…'.slice(0, max);
  let cut = max - 1;
  // Never split a surrogate pair: half an emoji is invalid UTF-16 and Slack rejects it.
  const last = value.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${value.slice(0, cut)}…`;
}

const CLAUSE_BREAK = / — |: |; |, | \(/g;

/**
 * Cut where a clause ends (" — ", ": ", "; ", ", ", before a parenthesis) rather than mid-word or
 * inside parentheses, when one ends in the second half of the room: a header then shows the
 * cause's first clauses whole, and the section under it says all.
 */
export function truncateAtClause(value: string, max: number): string {
  if (value.length <= max) return value;
  const room = value.slice(0, max - 1);
  let cut = -1;
  for (const match of room.matchAll(CLAUSE_BREAK)) {
    const kept = room.slice(0, match.index);
    if (match.index >= max / 2 && kept.split('(').length === kept.split(')').length) cut = match.index;
  }
  return cut >= 0 ? `${value.slice(0, cut)}…` : truncate(value, max);
}

/**
 * A fenced code block whose total length (fences included) stays within `max`. Backtick runs
 * inside would close the fence early, so they are broken up with a zero-width space.
 */
export function codeBlock(escapedContent: string, max: number): string {
  const safe = escapedContent.replace(/```/g, '`\u200b`\u200b`');
  const fenceLength = 6;
  return `\`\`\`${truncate(safe, Math.max(1, max - fenceLength))}\`\`\``;
}

/** Inline code for short identifiers such as finding codes. */
export function inlineCode(escapedContent: string): string {
  return `\`${escapedContent.replace(/`/g, "'")}\``;
}

/** A mrkdwn link, or the escaped URL text when it is not a plain http(s) URL. */
export function link(url: string, label: string): string {
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return escapeMrkdwn(url);
  return `<${url.replace(/&/g, '&amp;')}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

/** A mention for Slack user ids, the escaped name otherwise. */
export function mention(requester: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(requester) ? `<@${requester}>` : escapeMrkdwn(requester);
}

const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✅',
  ':warning:': '⚠️',
  ':red_circle:': '🔴',
  ':exclamation:': '❗',
  ':fast_forward:': '⏭',
  ':heavy_plus_sign:': '➕',
  ':heavy_minus_sign:': '➖',
  ':repeat:': '🔁',
  ':bell:': '🔔',
  ':information_source:': 'ℹ️',
  ':no_bell:': '🔕',
  ':alarm_clock:': '⏰',
  ':book:': '📖',
  ':mag:': '🔍',
  ':raised_hand:': '✋',
};

/** mrkdwn → what a reader should see in a terminal: entities decoded, links and mentions spelled out. */
export function mrkdwnToPlain(mrkdwn: string): string {
  return mrkdwn
    .replace(/```([\s\S]*?)```/g, (_m, code: string) => code.replace(/^/gm, '  '))
    .replace(/<([^<>|]+)\|([^<>]+)>/g, (_m, url: string, label: string) => `${label} (${url})`)
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<!([a-z]+)>/g, '@$1')
    .replace(/<(https?:[^<>]+)>/g, '$1')
    .replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code)
    .replace(/(^|[\s(•])\*([^*\n]+)\*(?=[\s).,:;!?]|$)/gm, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/\u200b/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
