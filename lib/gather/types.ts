import type { Facts } from '../facts/types.js';

/** What the Kubernetes API gatherer (lib/gather/kube.ts) contributes to the facts. */
export type ObjectFacts = Omit<Facts, 'target' | 'collectedAt' | 'probes' | 'nodeAgents'>;
