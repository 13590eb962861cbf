import type { Facts } from '../model/index.js';

/** What the Kubernetes API gatherer (lib/gather/kube.ts) contributes to the facts. */
export type ObjectFacts = Omit<Facts, 'target' | 'collectedAt' | 'probes' | 'nodeAgents'>;

/** Facts with nothing in them: the starting point of a gather, and of tests that add only what they need. */
export function emptyObjectFacts(): ObjectFacts {
  return {
    services: [],
    sameNameElsewhere: [],
    pods: [],
    endpointSlices: [],
    nodes: [],
    networkPolicies: [],
    namespaces: [],
    systemDaemonSets: [],
    systemPods: [],
    accessErrors: [],
  };
}
