import type { StoredMessage } from '../../lib/testkit/slack-api-server.js';

// How the Slack-facing tests read what the test Slack server stored.

/** A thread's parent (or a message outside any thread). */
export const isParent = (m: StoredMessage): boolean => !m.thread_ts || m.thread_ts === m.ts;

/** A parent whose progress edits are over: posted at once as "Checking …", then edited into the verdict. */
export const isAnswered = (m: StoredMessage): boolean => isParent(m) && !/^Checking /.test(m.text);

/** Everything a person could read in a message: its text, its blocks and its attachments' blocks. */
export const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}\n${JSON.stringify(m.attachments ?? [])}`;
