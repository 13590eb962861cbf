// A synthetic cluster for the sweep benchmark: by default 10,000 Services over 200 namespaces,
// 100,000 app pods (10 per Service), 2,000 nodes, their EndpointSlices, kube-proxy and Calico
// DaemonSets with one pod per node, CoreDNS, and two NetworkPolicies per namespace, with a few
// faults sprinkled deterministically (selector typos, crash-looping pods, wrong targetPorts, pods
// waiting for a sandbox the CNI cannot set up), and ~5,000 Events: the sandbox failures (most of
// them old, about pods that recovered) among the noise every cluster has (image pulls, back-offs,
// readiness failures, node status).
//
// Run as a child process (`--serve [--scale=…] [--policy-crds=…] [--pod-shape=slim|full]`) it
// loads the objects into the test API server and reports its URL over IPC, so the benchmark's RSS
// and CPU figures are the sweep's own.
//
// Addresses are data only: the sweep makes no probes, so nothing ever connects to them.

import type { KubeObject } from '../lib/testkit/kube-api-server.js';
import { startKubeApiServer } from '../lib/testkit/kube-api-server.js';
import {
  daemonSetObject,
  endpointSliceObject,
  eventObject,
  namespaceObject,
  networkPolicyObject,
  nodeObject,
  podObject,
  policyObject,
  serviceObject,
} from '../lib/testkit/kube-objects.js';
import { OPTIONAL_GROUPS } from '../lib/testkit/kube-resources.js';

export interface SyntheticClusterSize {
  namespaces: number;
  servicesPerNamespace: number;
  podsPerService: number;
  nodes: number;
}

export const FULL_SIZE: SyntheticClusterSize = { namespaces: 200, servicesPerNamespace: 50, podsPerService: 10, nodes: 2000 };

/** Every n-th service carries a fault, so the sweep has problems to rank. */
const SELECTOR_TYPO_EVERY = 97;
const CRASHLOOP_EVERY = 89;
const WRONG_TARGET_PORT_EVERY = 193;
/** Every n-th service's first pod waits for its sandbox (IPAM exhausted on its node). */
const SANDBOX_STUCK_EVERY = 101;
/** Every n-th pod had a sandbox failure once and recovered: an old event the sweep must not blame. */
const SANDBOX_RECOVERED_EVERY = 100;
/** Events per namespace that no sweep read selects (pulls, back-offs, readiness failures). */
const NOISE_EVENTS_PER_NAMESPACE = 10;
const NOISE_REASONS = [
  { reason: 'Pulled', type: 'Normal', message: 'Successfully pulled image in 1.2s' },
  { reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container' },
  { reason: 'Unhealthy', type: 'Warning', message: 'Readiness probe failed: dial tcp: connect: connection refused' },
] as const;
const SANDBOX_FAILURE =
  'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type="calico" failed (add): failed to allocate for range 0: no IP addresses available in range set';

const ip = (base: number, n: number): string => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
/** Node i owns 100.<hi>.<lo>.0/24; its pods take addresses from it. */
const podCIDRBase = (node: number): number => (node + 1) << 8;

/** Objects of each policy CRD kind the synthetic cluster carries by default (`--policy-crds=N`). */
export const DEFAULT_POLICY_CRDS = 300;

/**
 * `count` objects of each kind: Calico NetworkPolicy and GlobalNetworkPolicy (over three tiers),
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, AdminNetworkPolicy, ClusterNetworkPolicy
 * (Admin and Baseline tiers, alternating), plus the one BaselineAdminNetworkPolicy. Each selects
 * one service's pods in one namespace, so most services are selected by none and every
 * cluster-wide one is weighed for every service.
 */
export function* policyCrdObjects(size: SyntheticClusterSize, count: number): Generator<KubeObject> {
  const namespace = (i: number) => `team-${String(i % size.namespaces).padStart(3, '0')}`;
  const app = (i: number) => `svc-${String((i * 7) % size.servicesPerNamespace).padStart(3, '0')}`;
  yield* ['security', 'platform', 'app'].map((tier, order) => policyObject('projectcalico.org/v3', 'Tier', tier, undefined, { order: (order + 1) * 100 }));
  for (let i = 0; i < count; i++) {
    const ns = namespace(i);
    yield policyObject('projectcalico.org/v3', 'NetworkPolicy', `allow-monitoring-${i}`, ns, {
      selector: `app == '${app(i)}'`,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { namespaceSelector: "projectcalico.org/name == 'monitoring'" }, destination: { ports: [9090] } }],
    });
    yield policyObject('projectcalico.org/v3', 'GlobalNetworkPolicy', `security.quarantine-${i}`, undefined, {
      tier: ['security', 'platform', 'app'][i % 3],
      order: i,
      selector: `app == '${app(i + 1)}' && projectcalico.org/namespace == '${ns}'`,
      types: ['Ingress'],
      ingress: [{ action: 'Deny', source: { nets: ['198.51.100.0/24'] } }, { action: 'Pass' }],
    });
    yield policyObject('cilium.io/v2', 'CiliumNetworkPolicy', `l4-${i}`, ns, {
      endpointSelector: { matchLabels: { app: app(i + 2) } },
      ingress: [{ fromEndpoints: [{}], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] }],
    });
    yield policyObject('cilium.io/v2', 'CiliumClusterwideNetworkPolicy', `deny-world-${i}`, undefined, {
      endpointSelector: { matchLabels: { app: app(i + 3), 'k8s:io.kubernetes.pod.namespace': ns } },
      ingressDeny: [{ fromEntities: ['world'] }],
    });
    yield policyObject('policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', `tenant-${i}`, undefined, {
      priority: i % 1000,
      subject: { pods: { namespaceSelector: { matchLabels: { team: ns } }, podSelector: { matchLabels: { app: app(i + 4) } } } },
      ingress: [
        { name: 'same-tenant', action: 'Allow', from: [{ namespaces: { matchLabels: { team: ns } } }] },
        { name: 'rest', action: 'Pass', from: [{ namespaces: {} }] },
      ],
    });
    yield policyObject('policy.networking.k8s.io/v1beta1', 'ClusterNetworkPolicy', `tenant-cnp-${i}`, undefined, {
      tier: i % 2 ? 'Baseline' : 'Admin',
      priority: i % 1000,
      subject: { pods: { namespaceSelector: { matchLabels: { team: ns } }, podSelector: { matchLabels: { app: app(i + 5) } } } },
      ingress: [
        { name: 'same-tenant', action: 'Accept', from: [{ namespaces: { matchLabels: { team: ns } } }], protocols: [{ tcp: { destinationPort: { number: 8080 } } }] },
        { name: 'rest', action: 'Pass', from: [{ namespaces: {} }] },
      ],
    });
  }
  yield policyObject('policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy', 'default', undefined, {
    subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'quarantine' } } },
    ingress: [{ name: 'default-deny', action: 'Deny', from: [{ namespaces: {} }] }],
  });
}

/**
 * How much of a pod the API server returns. "slim": only the fields the sweep reads and a few
 * more. "full": also what a real API server adds to every Deployment pod — managedFields, the
 * service-account token volume, default tolerations, resources, env, the scheduler's and kubelet's
 * fields — about 3× the bytes, which the floor has to fetch and parse too.
 */
export type PodShape = 'slim' | 'full';

/** A slim pod as a real API server would return it (PodShape "full"); the fields the sweep reads are unchanged. */
function withApiServerFields(pod: KubeObject, serial: number): KubeObject {
  const metadata = pod.metadata as Record<string, unknown> & { name: string; labels?: Record<string, string> };
  const spec = pod.spec as { containers: Record<string, unknown>[]; nodeName?: string };
  const status = pod.status as { containerStatuses?: Record<string, unknown>[] } & Record<string, unknown>;
  const uid = (n: number) => `${n.toString(16).padStart(8, '0')}-5b1e-4c3a-9d7f-${((n * 2654435761) % 2 ** 32).toString(16).padStart(12, '0')}`;
  const labelFields = Object.fromEntries(Object.keys(metadata.labels ?? {}).map((k) => [`f:${k}`, {}]));
  const containerName = String(spec.containers[0]?.name ?? 'app');
  const createdAt = String(metadata.creationTimestamp ?? '');
  const volume = `kube-api-access-${serial.toString(36).padStart(5, 'x').slice(-5)}`;
  return {
    ...pod,
    metadata: {
      ...metadata,
      generateName: metadata.name.replace(/[^-]+$/, ''),
      uid: uid(serial),
      resourceVersion: String(100_000 + serial),
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: createdAt,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, ...labelFields }, 'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid(serial + 7)}"}`]: {} } },
            'f:spec': {
              'f:containers': {
                [`k:{"name":"${containerName}"}`]: {
                  '.': {},
                  'f:env': { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} }, 'k:{"name":"POD_NAME"}': { '.': {}, 'f:name': {}, 'f:valueFrom': {} } },
                  'f:image': {},
                  'f:imagePullPolicy': {},
                  'f:name': {},
                  'f:ports': { '.': {}, 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} } },
                  'f:readinessProbe': { '.': {}, 'f:periodSeconds': {}, 'f:tcpSocket': { '.': {}, 'f:port': {} } },
                  'f:resources': { '.': {}, 'f:limits': { '.': {}, 'f:memory': {} }, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } },
                  'f:terminationMessagePath': {},
                  'f:terminationMessagePolicy': {},
                },
              },
              'f:dnsPolicy': {},
              'f:enableServiceLinks': {},
              'f:restartPolicy': {},
              'f:schedulerName': {},
              'f:securityContext': {},
              'f:terminationGracePeriodSeconds': {},
            },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: createdAt,
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: {
            'f:status': {
              'f:conditions': Object.fromEntries(
                ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'Ready'].map((t) => [
                  `k:{"type":"${t}"}`,
                  { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} },
                ]),
              ),
              'f:containerStatuses': {},
              'f:hostIP': {},
              'f:hostIPs': {},
              'f:phase': {},
              'f:podIP': {},
              'f:podIPs': { '.': {}, [`k:{"ip":"${String(status.podIP ?? '')}"}`]: { '.': {}, 'f:ip': {} } },
              'f:startTime': {},
            },
          },
        },
      ],
    },
    spec: {
      ...spec,
      volumes: [
        {
          name: volume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      containers: spec.containers.map((c) => ({
        ...c,
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        volumeMounts: [{ name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      })),
      terminationGracePeriodSeconds: 30,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      ...status,
      ...(spec.nodeName ? { hostIP: '10.0.0.1', hostIPs: [{ ip: '10.0.0.1' }] } : {}),
      startTime: createdAt,
      qosClass: 'Burstable',
      ...(status.containerStatuses
        ? {
            containerStatuses: status.containerStatuses.map((c) => ({
              ...c,
              lastState: c.lastState ?? {},
              volumeMounts: [{ name: volume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true, recursiveReadOnly: 'Disabled' }],
            })),
          }
        : {}),
    },
  };
}

export function* syntheticClusterObjects(size: SyntheticClusterSize = FULL_SIZE, policyCrds = 0, podShape: PodShape = 'slim'): Generator<KubeObject> {
  if (podShape === 'full') {
    let serial = 0;
    for (const object of syntheticClusterObjects(size, policyCrds)) yield object.kind === 'Pod' ? withApiServerFields(object, serial++) : object;
    return;
  }
  if (policyCrds > 0) yield* policyCrdObjects(size, policyCrds);
  const nodeName = (i: number) => `node-${String(i).padStart(4, '0')}`;
  for (let i = 0; i < size.nodes; i++) {
    yield nodeObject({ name: nodeName(i), internalIP: ip(10, i + 1), podCIDR: `${ip(100, podCIDRBase(i))}/24` });
    yield eventObject({
      namespace: 'default',
      name: `${nodeName(i)}.ready`,
      involvedObject: { kind: 'Node', name: nodeName(i) },
      reason: 'NodeReady',
      type: 'Normal',
      message: `Node ${nodeName(i)} status is now: NodeReady`,
      component: 'kubelet',
    });
  }
  for (const ns of ['default', 'kube-system', 'calico-system']) yield namespaceObject(ns);

  yield serviceObject({
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: '172.20.0.10',
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  });
  const coredns = [0, 1].map((i) => ({ name: `coredns-5d78c9869d-${i}`, ip: ip(11, i + 1), node: nodeName(i) }));
  for (const p of coredns) {
    yield podObject({
      namespace: 'kube-system',
      name: p.name,
      labels: { 'k8s-app': 'kube-dns' },
      nodeName: p.node,
      podIP: p.ip,
      owner: { kind: 'ReplicaSet', name: 'coredns-5d78c9869d' },
      containers: [
        {
          name: 'coredns',
          image: 'registry.k8s.io/coredns/coredns:v1.12.1',
          ports: [
            { name: 'dns', containerPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 53 },
          ],
        },
      ],
    });
  }
  yield endpointSliceObject({
    namespace: 'kube-system',
    service: 'kube-dns',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
    endpoints: coredns.map((p) => ({ ip: p.ip, ready: true, nodeName: p.node, podName: p.name })),
  });

  for (const ds of [
    { namespace: 'kube-system', name: 'kube-proxy', selector: { 'k8s-app': 'kube-proxy' }, image: 'registry.k8s.io/kube-proxy:v1.34.1' },
    { namespace: 'calico-system', name: 'calico-node', selector: { 'k8s-app': 'calico-node' }, image: 'quay.io/calico/node:v3.30.3' },
  ]) {
    yield daemonSetObject({ ...ds, labels: ds.selector, desired: size.nodes, ready: size.nodes });
    for (let i = 0; i < size.nodes; i++) {
      yield podObject({
        namespace: ds.namespace,
        name: `${ds.name}-${i.toString(36).padStart(5, '0')}`,
        labels: ds.selector,
        nodeName: nodeName(i),
        podIP: ip(10, i + 1),
        hostNetwork: true,
        owner: { kind: 'DaemonSet', name: ds.name },
        containers: [{ name: ds.name, image: ds.image }],
      });
    }
  }

  let serviceNumber = 0;
  let podNumber = 0;
  for (let n = 0; n < size.namespaces; n++) {
    const namespace = `team-${String(n).padStart(3, '0')}`;
    yield namespaceObject(namespace, { team: namespace });
    for (let e = 0; e < NOISE_EVENTS_PER_NAMESPACE; e++) {
      const noise = NOISE_REASONS[e % NOISE_REASONS.length]!;
      const app = `svc-${String(e % size.servicesPerNamespace).padStart(3, '0')}`;
      yield eventObject({ namespace, name: `${app}.noise-${e}`, involvedObject: { kind: 'Pod', name: `${app}-noise-${e}`, namespace }, ...noise });
    }
    yield networkPolicyObject(namespace, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    yield networkPolicyObject(namespace, 'allow-same-namespace', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: {} }] }],
    });
    for (let s = 0; s < size.servicesPerNamespace; s++, serviceNumber++) {
      const app = `svc-${String(s).padStart(3, '0')}`;
      const hash = ((serviceNumber * 2654435761) >>> 0).toString(36).slice(0, 8);
      const typo = serviceNumber % SELECTOR_TYPO_EVERY === 5;
      const crashing = serviceNumber % CRASHLOOP_EVERY === 7;
      const wrongPort = serviceNumber % WRONG_TARGET_PORT_EVERY === 11;
      const sandboxStuck = serviceNumber % SANDBOX_STUCK_EVERY === 13;
      yield serviceObject({
        namespace,
        name: app,
        clusterIP: ip(172, (20 << 16) + serviceNumber + 256),
        selector: { app: typo ? `${app}x` : app },
        ports: [{ name: 'http', port: 80, targetPort: wrongPort ? 8081 : 8080 }],
      });
      const pods = [];
      for (let r = 0; r < size.podsPerService; r++, podNumber++) {
        const node = podNumber % size.nodes;
        const slot = 1 + Math.floor(podNumber / size.nodes);
        const pending = sandboxStuck && r === 0;
        const pod = { name: `${app}-${hash}-${r.toString(36).padStart(5, 'q')}`, ip: pending ? '' : ip(100, podCIDRBase(node) + slot), node: nodeName(node) };
        if (!pending) pods.push(pod);
        if (pending || podNumber % SANDBOX_RECOVERED_EVERY === 3) {
          yield eventObject({
            namespace,
            name: `${pod.name}.sandbox`,
            involvedObject: { kind: 'Pod', name: pod.name, namespace },
            reason: 'FailedCreatePodSandBox',
            message: SANDBOX_FAILURE,
            count: pending ? 12 : 1,
          });
        }
        yield podObject({
          namespace,
          name: pod.name,
          labels: { app, 'pod-template-hash': hash },
          nodeName: pod.node,
          podIP: pod.ip,
          pending,
          owner: { kind: 'ReplicaSet', name: `${app}-${hash}` },
          containers: [
            {
              name: 'app',
              image: `registry.example.com/${namespace}/${app}:1.0.${s}`,
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbePort: 8080,
              state: crashing && r === 0 ? { kind: 'crashloop', restartCount: 7 } : { kind: 'running' },
            },
          ],
        });
      }
      yield endpointSliceObject({
        namespace,
        service: app,
        name: `${app}-${hash.slice(0, 5)}`,
        ports: typo ? [] : [{ name: 'http', port: wrongPort ? 8081 : 8080 }],
        endpoints: typo ? [] : pods.map((p, r) => ({ ip: p.ip, ready: !(crashing && r === 0), nodeName: p.node, podName: p.name })),
      });
    }
  }
}

async function serveOverIpc(): Promise<void> {
  const sizeArg = process.argv.find((a) => a.startsWith('--scale='));
  const scale = sizeArg ? Number(sizeArg.slice('--scale='.length)) : 1;
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${sizeArg}`);
  const size: SyntheticClusterSize = {
    namespaces: Math.max(1, Math.round(FULL_SIZE.namespaces * scale)),
    servicesPerNamespace: FULL_SIZE.servicesPerNamespace,
    podsPerService: FULL_SIZE.podsPerService,
    nodes: Math.max(3, Math.round(FULL_SIZE.nodes * scale)),
  };
  const crdsArg = process.argv.find((a) => a.startsWith('--policy-crds='));
  const policyCrds = crdsArg ? Number(crdsArg.slice('--policy-crds='.length)) : DEFAULT_POLICY_CRDS;
  if (!(Number.isInteger(policyCrds) && policyCrds >= 0)) throw new Error(`--policy-crds must be a whole number, got ${crdsArg}`);
  const shapeArg = process.argv.find((a) => a.startsWith('--pod-shape='))?.slice('--pod-shape='.length) ?? 'slim';
  if (shapeArg !== 'slim' && shapeArg !== 'full') throw new Error(`--pod-shape must be slim or full, got ${shapeArg}`);
  const started = performance.now();
  const server = await startKubeApiServer({
    objects: [...syntheticClusterObjects(size, policyCrds, shapeArg)],
    serveGroups: policyCrds > 0 ? OPTIONAL_GROUPS.filter((g) => g !== 'crd.projectcalico.org') : [],
  });
  const counts: Record<string, number> = {};
  const kinds = ['Namespace', 'Service', 'Pod', 'Node', 'EndpointSlice', 'NetworkPolicy', 'DaemonSet', 'Event'];
  if (policyCrds > 0)
    kinds.push(
      'NetworkPolicy.projectcalico.org',
      'GlobalNetworkPolicy',
      'CiliumNetworkPolicy',
      'CiliumClusterwideNetworkPolicy',
      'AdminNetworkPolicy',
      'BaselineAdminNetworkPolicy',
      'ClusterNetworkPolicy',
    );
  for (const kind of kinds) counts[kind] = server.list(kind).length;
  process.send!({ type: 'ready', url: server.url, kubeconfigPath: server.kubeconfigPath, loadMs: performance.now() - started, counts });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'requests') {
      // A list page is a GET with `limit`; anything else would be a per-object request.
      // Discovery (/apis, once per gather: which policy CRD groups are served) is not a per-object request.
      const nonList = server.requests.filter((r) => r.method !== 'GET' || (r.query.limit === undefined && r.path !== '/apis')).length;
      process.send!({ type: 'requests', count: server.requests.length, nonList });
    }
    if (message.type === 'reset') server.requests.length = 0;
    if (message.type === 'close') void server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

if (process.argv.includes('--serve')) {
  serveOverIpc().catch((e: unknown) => {
    console.error(`synthetic cluster server failed: ${(e as Error).message}`);
    process.exit(1);
  });
}
