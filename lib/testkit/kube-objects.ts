// Builders for real-shaped Kubernetes objects (what the API server would return), shared by the
// demo cluster, the synthetic benchmark cluster and tests. Each builder fills the fields the
// controllers would (conditions, container statuses, slice labels), so the objects exercise the
// gatherer's conversion as a real cluster does.

import type { KubeObject } from './kube-api-server.js';

const CREATED = '2026-11-01T08:00:00Z';

export function namespaceObject(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, creationTimestamp: CREATED },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export interface NodeSpec {
  name: string;
  internalIP: string;
  podCIDR: string;
  ready?: boolean;
  labels?: Record<string, string>;
  kubeletVersion?: string;
}

export function nodeObject(n: NodeSpec): KubeObject {
  const ready = n.ready ?? true;
  const version = n.kubeletVersion ?? 'v1.34.1';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...n.labels },
      creationTimestamp: CREATED,
    },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.internalIP },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED },
        ready
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED }
          : {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastHeartbeatTime: CREATED,
              lastTransitionTime: CREATED,
            },
      ],
      nodeInfo: {
        kubeletVersion: version,
        kubeProxyVersion: version,
        containerRuntimeVersion: 'containerd://2.1.4',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
    },
  };
}

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP';
  nodePort?: number;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  selector?: Record<string, string>;
  ports?: ServicePortSpec[];
  externalName?: string;
  loadBalancerIngress?: { ip?: string; hostname?: string }[];
  labels?: Record<string, string>;
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

export function serviceObject(s: ServiceSpec): KubeObject {
  const type = s.type ?? 'ClusterIP';
  const spec: Record<string, unknown> = { type };
  if (type === 'ExternalName') {
    spec.externalName = s.externalName;
  } else {
    spec.clusterIP = s.clusterIP;
    spec.clusterIPs = s.clusterIP ? [s.clusterIP] : [];
    spec.ipFamilies = ['IPv4'];
    spec.ipFamilyPolicy = 'SingleStack';
    spec.sessionAffinity = 'None';
    spec.internalTrafficPolicy = s.internalTrafficPolicy ?? 'Cluster';
    if (type !== 'ClusterIP') spec.externalTrafficPolicy = 'Cluster';
  }
  if (s.selector) spec.selector = s.selector;
  if (s.ports) {
    spec.ports = s.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      protocol: p.protocol ?? 'TCP',
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      ...(p.nodePort ? { nodePort: p.nodePort } : {}),
    }));
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, ...(s.labels ? { labels: s.labels } : {}), creationTimestamp: CREATED },
    spec,
    status: { loadBalancer: type === 'LoadBalancer' && s.loadBalancerIngress ? { ingress: s.loadBalancerIngress } : {} },
  };
}

export type ContainerState = { kind: 'running' } | { kind: 'crashloop'; restartCount: number } | { kind: 'waiting'; reason: string; message?: string };

export interface ContainerSpec {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  state?: ContainerState;
  readinessProbePort?: number;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string;
  podIP: string;
  containers: ContainerSpec[];
  owner?: { kind: string; name: string };
  hostNetwork?: boolean;
  /** Scheduled but still waiting for its sandbox: Pending, no address yet, containers ContainerCreating. */
  pending?: boolean;
}

export function podObject(p: PodSpec): KubeObject {
  if (p.pending) return pendingPodObject(p);
  const statuses = p.containers.map((c) => {
    const state = c.state ?? { kind: 'running' };
    const base = { name: c.name, image: c.image, imageID: `${c.image}@sha256:${'0'.repeat(64)}`, containerID: `containerd://${p.name}-${c.name}` };
    switch (state.kind) {
      case 'running':
        return { ...base, ready: true, started: true, restartCount: 0, state: { running: { startedAt: CREATED } } };
      case 'crashloop':
        return {
          ...base,
          ready: false,
          started: false,
          restartCount: state.restartCount,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${c.name} pod=${p.name}` } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: CREATED, finishedAt: CREATED } },
        };
      case 'waiting':
        return { ...base, ready: false, started: false, restartCount: 0, state: { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } } };
    }
  });
  const allReady = statuses.every((s) => s.ready);
  const notReady = statuses.filter((s) => !s.ready).map((s) => s.name);
  const readyCondition = allReady
    ? { type: 'Ready', status: 'True', lastTransitionTime: CREATED }
    : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]`, lastTransitionTime: CREATED };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      creationTimestamp: CREATED,
      ...(p.owner
        ? {
            ownerReferences: [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: `${p.namespace}-${p.owner.name}`, controller: true, blockOwnerDeletion: true }],
          }
        : {}),
    },
    spec: {
      nodeName: p.nodeName,
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      containers: p.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.ports ? { ports: c.ports.map((port) => ({ ...port, protocol: port.protocol ?? 'TCP' })) } : {}),
        ...(c.readinessProbePort ? { readinessProbe: { tcpSocket: { port: c.readinessProbePort }, periodSeconds: 10 } } : {}),
      })),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
    },
    status: {
      phase: 'Running',
      podIP: p.podIP,
      podIPs: [{ ip: p.podIP }],
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: CREATED },
        { type: 'Initialized', status: 'True', lastTransitionTime: CREATED },
        readyCondition,
        { ...readyCondition, type: 'ContainersReady' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: CREATED },
      ],
      containerStatuses: statuses,
      startTime: CREATED,
      qosClass: 'BestEffort',
    },
  };
}

function pendingPodObject(p: PodSpec): KubeObject {
  const running = podObject({ ...p, pending: false, containers: p.containers.map((c) => ({ ...c, state: { kind: 'waiting', reason: 'ContainerCreating' } })) });
  const { podIP: _none, podIPs: _noneEither, conditions, ...status } = running.status as Record<string, unknown> & { conditions: { type: string }[] };
  return {
    ...running,
    status: {
      ...status,
      phase: 'Pending',
      conditions: conditions.map((c) => (c.type === 'PodReadyToStartContainers' ? { ...c, status: 'False' } : c)),
    },
  };
}

export interface EndpointSpec {
  ip: string;
  ready: boolean;
  nodeName?: string;
  /** Absent for endpoints that are not pods (the API server behind default/kubernetes). */
  podName?: string;
}

export interface EndpointSliceSpec {
  namespace: string;
  service: string;
  /** Slice name; the controller's default is "<service>-<5 random chars>". */
  name?: string;
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }[];
  endpoints: EndpointSpec[];
}

export function endpointSliceObject(s: EndpointSliceSpec): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: s.name ?? `${s.service}-abcde`,
      namespace: s.namespace,
      generateName: `${s.service}-`,
      labels: { 'kubernetes.io/service-name': s.service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: s.service, uid: `${s.namespace}-${s.service}`, controller: true, blockOwnerDeletion: true }],
      creationTimestamp: CREATED,
    },
    addressType: 'IPv4',
    ports: s.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : { name: '' }), port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: s.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
      ...(e.podName ? { targetRef: { kind: 'Pod', name: e.podName, namespace: s.namespace, uid: `${s.namespace}-${e.podName}` } } : {}),
    })),
  };
}

/** The legacy Endpoints object the endpoints controller writes for the same data. */
export function endpointsObject(s: EndpointSliceSpec): KubeObject {
  const toAddress = (e: EndpointSpec) => ({
    ip: e.ip,
    ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    ...(e.podName ? { targetRef: { kind: 'Pod', name: e.podName, namespace: s.namespace } } : {}),
  });
  const ready = s.endpoints.filter((e) => e.ready).map(toAddress);
  const notReady = s.endpoints.filter((e) => !e.ready).map(toAddress);
  const subsets =
    s.endpoints.length === 0
      ? []
      : [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
          },
        ];
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: s.service, namespace: s.namespace, creationTimestamp: CREATED },
    subsets,
  };
}

export interface DaemonSetSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  image: string;
  desired: number;
  ready: number;
}

export function daemonSetObject(d: DaemonSetSpec): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: d.name, namespace: d.namespace, labels: d.labels, creationTimestamp: CREATED, generation: 1 },
    spec: {
      selector: { matchLabels: d.selector },
      template: { metadata: { labels: d.selector }, spec: { hostNetwork: true, containers: [{ name: d.name, image: d.image }] } },
      updateStrategy: { type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: d.desired,
      desiredNumberScheduled: d.desired,
      numberMisscheduled: 0,
      numberReady: d.ready,
      numberAvailable: d.ready,
      updatedNumberScheduled: d.desired,
      observedGeneration: 1,
      ...(d.ready < d.desired ? { numberUnavailable: d.desired - d.ready } : {}),
    },
  };
}

export function networkPolicyObject(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, creationTimestamp: CREATED, generation: 1 },
    spec,
  };
}

export interface EventSpec {
  /** Where the Event is stored; node events live in "default". */
  namespace: string;
  name: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  count?: number;
  lastTimestamp?: string;
  component?: string;
}

/** A core/v1 Event as the kubelet or a controller records it (deprecated count/timestamps, source). */
export function eventObject(e: EventSpec): KubeObject {
  const last = e.lastTimestamp ?? CREATED;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: e.name, namespace: e.namespace, creationTimestamp: CREATED },
    involvedObject: { apiVersion: 'v1', ...e.involvedObject },
    reason: e.reason,
    message: e.message,
    type: e.type ?? 'Warning',
    count: e.count ?? 1,
    firstTimestamp: CREATED,
    lastTimestamp: last,
    source: { component: e.component ?? 'kubelet' },
    reportingComponent: e.component ?? 'kubelet',
  };
}

/** A Calico, Cilium or admin network policy object; `namespace` only for the namespaced kinds. */
export function policyObject(apiVersion: string, kind: string, name: string, namespace: string | undefined, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), creationTimestamp: CREATED, generation: 1 },
    spec,
  };
}
