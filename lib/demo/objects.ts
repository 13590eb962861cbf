// The demo cluster's API objects: a small shop with one headline fault and a few others, laid out
// on loopback addresses so the data plane behind them can be real (lib/demo/dataplane.ts).
// Every address lives in 127.<block>.0.0/16: nodes .1.x, pods .2.x, ClusterIPs .3.x.

import type { KubeObject } from '../testkit/kube-api-server.js';
import {
  daemonSetObject,
  endpointSliceObject,
  endpointsObject,
  namespaceObject,
  nodeObject,
  podObject,
  serviceObject,
  type ContainerState,
  type EndpointSliceSpec,
  type ServiceSpec,
} from '../testkit/kube-objects.js';

export interface DemoLayout {
  /** Second octet of every demo address. */
  block: number;
  /** Where the demo API server listens (the endpoints of default/kubernetes). */
  apiServer: { host: string; port: number };
}

export const DEMO_NAMESPACE = 'shop';
export const DEMO_DNS_PORT = 5353;
export const DEMO_NODE_PORT = 30080;
const NODE_COUNT = 3;
const PODS_PER_NODE_CIDR = 64;

export const nodeName = (i: number): string => `node-${i + 1}`;
export const nodeIP = (layout: DemoLayout, i: number): string => `127.${layout.block}.1.${i + 1}`;
export const clusterIP = (layout: DemoLayout, last: number): string => `127.${layout.block}.3.${last}`;
export const dnsClusterIP = (layout: DemoLayout): string => clusterIP(layout, 10);

interface AppSpec {
  name: string;
  replicas: number;
  /** Labels on the pods; the Service's selector may differ (that is the payments fault). */
  podLabels: Record<string, string>;
  containerPort: number;
  state: ContainerState;
  service: Omit<ServiceSpec, 'namespace' | 'name'>;
  image: string;
}

function shopApps(layout: DemoLayout): AppSpec[] {
  const http = (targetPort: number, nodePort?: number) => [{ name: 'http', port: 80, targetPort, ...(nodePort ? { nodePort } : {}) }];
  return [
    {
      name: 'checkout',
      replicas: 2,
      podLabels: { app: 'checkout' },
      containerPort: 8080,
      state: { kind: 'running' },
      image: 'registry.example.com/shop/checkout:1.8.2',
      service: { clusterIP: clusterIP(layout, 11), selector: { app: 'checkout' }, ports: http(8080) },
    },
    {
      // Headline fault: the Service selects app=payment, the Deployment labels its pods app=payments.
      name: 'payments',
      replicas: 2,
      podLabels: { app: 'payments' },
      containerPort: 8080,
      state: { kind: 'running' },
      image: 'registry.example.com/shop/payments:3.2.0',
      service: { clusterIP: clusterIP(layout, 12), selector: { app: 'payment' }, ports: http(8080) },
    },
    {
      name: 'cart',
      replicas: 2,
      podLabels: { app: 'cart' },
      containerPort: 8080,
      state: { kind: 'crashloop', restartCount: 14 },
      image: 'registry.example.com/shop/cart:0.9.1',
      service: { clusterIP: clusterIP(layout, 13), selector: { app: 'cart' }, ports: http(8080) },
    },
    {
      // The Service sends traffic to 8081; the container listens on 8080.
      name: 'inventory',
      replicas: 2,
      podLabels: { app: 'inventory' },
      containerPort: 8080,
      state: { kind: 'running' },
      image: 'registry.example.com/shop/inventory:2.4.0',
      service: { clusterIP: clusterIP(layout, 14), selector: { app: 'inventory' }, ports: http(8081) },
    },
    {
      // LoadBalancer with no cloud controller to give it an address: EXTERNAL-IP stays <pending>.
      name: 'frontend',
      replicas: 2,
      podLabels: { app: 'frontend' },
      containerPort: 8080,
      state: { kind: 'running' },
      image: 'registry.example.com/shop/frontend:5.0.3',
      service: { type: 'LoadBalancer', clusterIP: clusterIP(layout, 15), selector: { app: 'frontend' }, ports: http(8080, DEMO_NODE_PORT) },
    },
  ];
}

/** Hands out pod IPs from each node's podCIDR (127.<block>.2.<node*64 + n>). */
class PodIPs {
  private readonly next = new Map<number, number>();
  constructor(private readonly layout: DemoLayout) {}
  take(node: number): string {
    const n = this.next.get(node) ?? 2;
    this.next.set(node, n + 1);
    return `127.${this.layout.block}.2.${node * PODS_PER_NODE_CIDR + n}`;
  }
}

function sliceAndEndpoints(spec: EndpointSliceSpec, sliceName: string): KubeObject[] {
  return [endpointSliceObject({ ...spec, name: sliceName }), endpointsObject(spec)];
}

export function demoObjects(layout: DemoLayout): KubeObject[] {
  const objects: KubeObject[] = [
    namespaceObject('default'),
    namespaceObject('kube-system'),
    namespaceObject('kube-flannel'),
    namespaceObject('netcheck'),
    namespaceObject(DEMO_NAMESPACE, { team: 'shop' }),
  ];
  const ips = new PodIPs(layout);
  for (let i = 0; i < NODE_COUNT; i++) {
    objects.push(
      nodeObject({
        name: nodeName(i),
        internalIP: nodeIP(layout, i),
        podCIDR: `127.${layout.block}.2.${i * PODS_PER_NODE_CIDR}/26`,
        labels: i === 0 ? { 'node-role.kubernetes.io/control-plane': '' } : {},
      }),
    );
  }

  // default/kubernetes: the API server itself, reached through its ClusterIP like in a cluster.
  objects.push(
    serviceObject({
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: clusterIP(layout, 1),
      ports: [{ name: 'https', port: 443, targetPort: layout.apiServer.port }],
      labels: { component: 'apiserver', provider: 'kubernetes' },
    }),
    ...sliceAndEndpoints(
      { namespace: 'default', service: 'kubernetes', ports: [{ name: 'https', port: layout.apiServer.port }], endpoints: [{ ip: layout.apiServer.host, ready: true }] },
      'kubernetes',
    ),
  );

  // Cluster DNS: CoreDNS pods behind the kube-dns Service, on the demo DNS port.
  const dnsPods = [0, 1].map((node, i) => ({ node, name: `coredns-6f6b679f8f-${['x7k2p', 'm4q9z'][i]}`, ip: ips.take(node) }));
  objects.push(
    serviceObject({
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: dnsClusterIP(layout),
      selector: { 'k8s-app': 'kube-dns' },
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
      ports: [
        { name: 'dns', port: DEMO_DNS_PORT, targetPort: DEMO_DNS_PORT, protocol: 'UDP' },
        { name: 'dns-tcp', port: DEMO_DNS_PORT, targetPort: DEMO_DNS_PORT, protocol: 'TCP' },
      ],
    }),
    ...dnsPods.map((p) =>
      podObject({
        namespace: 'kube-system',
        name: p.name,
        labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '6f6b679f8f' },
        nodeName: nodeName(p.node),
        podIP: p.ip,
        owner: { kind: 'ReplicaSet', name: 'coredns-6f6b679f8f' },
        containers: [
          {
            name: 'coredns',
            image: 'registry.k8s.io/coredns/coredns:v1.12.1',
            ports: [
              { name: 'dns', containerPort: DEMO_DNS_PORT, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: DEMO_DNS_PORT, protocol: 'TCP' },
            ],
            readinessProbePort: 8181,
          },
        ],
      }),
    ),
    ...sliceAndEndpoints(
      {
        namespace: 'kube-system',
        service: 'kube-dns',
        ports: [
          { name: 'dns', port: DEMO_DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: DEMO_DNS_PORT, protocol: 'TCP' },
        ],
        endpoints: dnsPods.map((p) => ({ ip: p.ip, ready: true, nodeName: nodeName(p.node), podName: p.name })),
      },
      'kube-dns-q8w2r',
    ),
  );

  // kube-proxy and Flannel: host-network DaemonSets, one pod per node.
  const suffixes = ['2xk9d', '7hq4m', 'p9z3w'];
  const systemDaemonSets: { namespace: string; name: string; selector: Record<string, string>; image: string }[] = [
    { namespace: 'kube-system', name: 'kube-proxy', selector: { 'k8s-app': 'kube-proxy' }, image: 'registry.k8s.io/kube-proxy:v1.34.1' },
    { namespace: 'kube-flannel', name: 'kube-flannel-ds', selector: { app: 'flannel' }, image: 'ghcr.io/flannel-io/flannel:v0.27.4' },
  ];
  for (const ds of systemDaemonSets) {
    objects.push(daemonSetObject({ ...ds, labels: { ...ds.selector, tier: 'node' }, desired: NODE_COUNT, ready: NODE_COUNT }));
    for (let i = 0; i < NODE_COUNT; i++) {
      objects.push(
        podObject({
          namespace: ds.namespace,
          name: `${ds.name}-${suffixes[i]}`,
          labels: { ...ds.selector, 'controller-revision-hash': '5d8f7c9b4', 'pod-template-generation': '1' },
          nodeName: nodeName(i),
          podIP: nodeIP(layout, i),
          hostNetwork: true,
          owner: { kind: 'DaemonSet', name: ds.name },
          containers: [{ name: ds.name, image: ds.image }],
        }),
      );
    }
  }

  // The shop: one Deployment per app, two replicas spread over the nodes.
  for (const app of shopApps(layout)) {
    const hash = `${app.name.length}c${app.name.charCodeAt(0).toString(16)}d7f9b`;
    const pods = Array.from({ length: app.replicas }, (_, r) => {
      const node = (r + app.name.length) % NODE_COUNT;
      return { node, name: `${app.name}-${hash}-${['h2kxq', 'w8fzn'][r] ?? `r${r}`}`, ip: ips.take(node) };
    });
    for (const p of pods) {
      objects.push(
        podObject({
          namespace: DEMO_NAMESPACE,
          name: p.name,
          labels: { ...app.podLabels, 'pod-template-hash': hash },
          nodeName: nodeName(p.node),
          podIP: p.ip,
          owner: { kind: 'ReplicaSet', name: `${app.name}-${hash}` },
          containers: [{ name: app.name, image: app.image, ports: [{ name: 'http', containerPort: app.containerPort }], state: app.state, readinessProbePort: app.containerPort }],
        }),
      );
    }
    objects.push(serviceObject({ namespace: DEMO_NAMESPACE, name: app.name, ...app.service }));
    // What the EndpointSlice controller writes: endpoints for the pods the selector matches.
    const selector = app.service.selector ?? {};
    const selected = Object.entries(selector).every(([k, v]) => app.podLabels[k] === v) ? pods : [];
    const targetPort = app.service.ports?.[0]?.targetPort as number;
    objects.push(
      ...sliceAndEndpoints(
        {
          namespace: DEMO_NAMESPACE,
          service: app.name,
          ports: selected.length ? [{ name: 'http', port: targetPort }] : [],
          endpoints: selected.map((p) => ({ ip: p.ip, ready: app.state.kind === 'running', nodeName: nodeName(p.node), podName: p.name })),
        },
        `${app.name}-${hash.slice(0, 5)}`,
      ),
    );
  }

  // ExternalName to a name that cannot resolve (.invalid is reserved, RFC 2606).
  objects.push(serviceObject({ namespace: DEMO_NAMESPACE, name: 'ledger', type: 'ExternalName', externalName: 'ledger.payments-partner.invalid' }));
  return objects;
}
