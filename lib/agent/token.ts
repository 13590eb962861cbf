/** Shortest agent token the agent accepts and the worker sends: 16 bytes of entropy as hex. */
export const MIN_AGENT_TOKEN_LENGTH = 32;

/**
 * How long the worker and CLI wait for one agent answer: each tool the agent runs has 5 s, and a
 * node with 10,000 Services' rules takes ~0.9 s to read (bench:agent), more on a busy node.
 */
export const AGENT_TIMEOUT_MS = 6_000;
