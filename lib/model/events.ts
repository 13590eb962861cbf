// Kubernetes Events as evidence: which reasons say something about networking, and how the
// kubelet's and the CNI plugins' messages map onto the causes netcheck names. The gatherer keeps
// only these reasons; the checks read them with the same helpers, so the two never disagree.
import type { EventFact, EventsFact } from './facts.js';

/** Reasons worth keeping, by the kind of object they are about. */
export const NETWORK_EVENT_REASONS = {
  /** kubelet: the pod sandbox (and with it the pod's network) could not be set up; readiness failures. */
  Pod: ['FailedCreatePodSandBox', 'NetworkNotReady', 'Unhealthy'],
  /** node-ipam-controller: no pod CIDR left for the node (the cluster CIDR is exhausted). */
  Node: ['CIDRNotAvailable', 'CIDRAssignmentFailed'],
  /** endpointslice controller: slices could not be written; topology hints switched off. */
  Service: ['FailedToUpdateEndpointSlices', 'FailedToUpdateEndpoint', 'FailedToCreateEndpoint', 'TopologyAwareHintsDisabled'],
} as const satisfies Record<string, readonly string[]>;

export type EventObjectKind = keyof typeof NETWORK_EVENT_REASONS;

export function isNetworkEvent(kind: string, reason: string): boolean {
  const reasons = (NETWORK_EVENT_REASONS as Record<string, readonly string[]>)[kind];
  return reasons !== undefined && reasons.includes(reason);
}

/** Events about one object, newest first. */
export function eventsAbout(events: EventsFact | undefined, kind: EventObjectKind, name: string, namespace?: string): EventFact[] {
  if (!events) return [];
  return events.items
    .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name && (namespace === undefined || (e.involvedObject.namespace ?? e.namespace) === namespace))
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''));
}

/** Evidence as kubectl would show it: `event FailedCreatePodSandBox (×12, kubelet): failed to …`. */
export function eventLine(event: EventFact, maxMessage = 240): string {
  const message = event.message.length > maxMessage ? `${event.message.slice(0, maxMessage - 1)}…` : event.message;
  const who = [event.count > 1 ? `×${event.count}` : '', event.reporter ?? ''].filter(Boolean).join(', ');
  return `event ${event.reason} on ${event.involvedObject.kind.toLowerCase()} ${event.involvedObject.namespace ? `${event.involvedObject.namespace}/` : ''}${event.involvedObject.name}${who ? ` (${who})` : ''}: ${message}`;
}

/**
 * What a pod-sandbox network failure means, from the message the runtime passes on from the CNI:
 * - ip-exhausted: IPAM has no address left (AWS VPC CNI "failed to assign an IP address to
 *   container", host-local "no IP addresses available in range set", Calico/Cilium IPAM)
 * - cni-not-ready: the runtime has no working CNI config or plugin yet (NetworkNotReady)
 * - cni-failed: the CNI plugin ran and failed ("failed to set up sandbox container … network")
 */
export type SandboxNetworkFailure = 'ip-exhausted' | 'cni-not-ready' | 'cni-failed';

export function sandboxNetworkFailure(event: EventFact): SandboxNetworkFailure | undefined {
  if (event.reason !== 'FailedCreatePodSandBox' && event.reason !== 'NetworkNotReady') return undefined;
  const message = event.message;
  if (
    /failed to (assign|allocate) an IP address|no IP addresses available|failed to allocate for range|ipam.*(exhausted|no (more |free )?(addresses|IPs))|range is full|insufficient (free )?IP/i.test(
      message,
    )
  )
    return 'ip-exhausted';
  if (event.reason === 'NetworkNotReady' || /network is not ready|NetworkPluginNotReady|cni plugin not initialized|no networks found in \/etc\/cni\/net\.d/i.test(message))
    return 'cni-not-ready';
  if (/network|cni/i.test(message)) return 'cni-failed';
  return undefined;
}
