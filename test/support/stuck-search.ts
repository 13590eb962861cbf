// A "search" Service whose two pods wait on node-2 for their sandbox, and the kubelet's
// FailedCreatePodSandBox events that say why: the case the Events checks exist for, shared by the
// sweep's unit tests (as facts) and the gatherer's integration tests (served by our API server).
import { eventObject, podObject, serviceObject } from '../../lib/testkit/kube-objects.js';
import type { KubeObject } from '../../lib/testkit/kube-api-server.js';

/** The Service and its two Pending pods (no IP, scheduled on node-2). */
export function stuckSearch(namespace: string, clusterIP: string): KubeObject[] {
  return [
    serviceObject({ namespace, name: 'search', clusterIP, selector: { app: 'search' }, ports: [{ port: 9200 }] }),
    ...[0, 1].map((i) =>
      podObject({
        namespace,
        name: `search-7b9d-${i}`,
        labels: { app: 'search' },
        nodeName: 'node-2',
        podIP: '',
        pending: true,
        containers: [{ name: 'search', image: 'search:1', ports: [{ containerPort: 9200 }] }],
      }),
    ),
  ];
}

/** One FailedCreatePodSandBox event per stuck pod, with the CNI's `message`. */
export function stuckSearchEvents(namespace: string, message: string, count?: number): KubeObject[] {
  return [0, 1].map((i) =>
    eventObject({
      namespace,
      name: `search-7b9d-${i}.1`,
      involvedObject: { kind: 'Pod', name: `search-7b9d-${i}`, namespace },
      reason: 'FailedCreatePodSandBox',
      message,
      ...(count !== undefined ? { count } : {}),
    }),
  );
}
