/** Shortest agent token the agent accepts and the worker sends: 16 bytes of entropy as hex. */
export const MIN_AGENT_TOKEN_LENGTH = 32;
