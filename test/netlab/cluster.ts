import type { KubeObject } from '../../lib/testkit/kube-api-server.js';
import { daemonSetObject, endpointSliceObject, namespaceObject, networkPolicyObject, nodeObject, podObject, serviceObject } from '../../lib/testkit/kube-objects.js';
import { CLUSTER_DOMAIN, type Lab, type LabChild, type LabService } from './lab.js';

// One small cluster on the lab's data plane: every Service, pod and node the API describes is
// really there in the namespaces, and kube-proxy's rules in the node namespaces match the
// EndpointSlices. Each application exists for one scenario, so faults never overlap.

export const API_SERVER_PORT = 6443;
export const AGENT_PORT = 9807;
export const APP_PORT = 8080;
export const CLIENT_POD = 'netcheck-cli';

interface App {
  name: string;
  node: string;
  host: number;
  clusterIP: string;
  /** What the Service says; the pod always listens on APP_PORT. */
  targetPort: number | string;
  /** false: no pod at all (the selector matches nothing). */
  hasPod: boolean;
  internalTrafficPolicy?: 'Local';
}

/** web: healthy / ip_forward; api: bridge netfilter (same node as the client); orders: wrong targetPort; cart: no pods; pay: NetworkPolicy; cache/near: internalTrafficPolicy Local. */
export const APPS: readonly App[] = [
  { name: 'web', node: 'node-2', host: 10, clusterIP: '10.96.0.20', targetPort: 'http', hasPod: true },
  { name: 'api', node: 'node-1', host: 20, clusterIP: '10.96.0.21', targetPort: APP_PORT, hasPod: true },
  { name: 'orders', node: 'node-2', host: 30, clusterIP: '10.96.0.22', targetPort: 9090, hasPod: true },
  { name: 'cart', node: 'node-2', host: 0, clusterIP: '10.96.0.23', targetPort: APP_PORT, hasPod: false },
  { name: 'pay', node: 'node-2', host: 40, clusterIP: '10.96.0.24', targetPort: APP_PORT, hasPod: true },
  // internalTrafficPolicy Local: the client (node-1) has no endpoint of cache, and one of near.
  { name: 'cache', node: 'node-2', host: 50, clusterIP: '10.96.0.25', targetPort: APP_PORT, hasPod: true, internalTrafficPolicy: 'Local' },
  { name: 'near', node: 'node-1', host: 60, clusterIP: '10.96.0.26', targetPort: APP_PORT, hasPod: true, internalTrafficPolicy: 'Local' },
];

const DNS_CLUSTER_IP = '10.96.0.10';
const KUBERNETES_CLUSTER_IP = '10.96.0.1';

export interface ClusterOptions {
  /** A second CoreDNS replica on node-2 behind kube-dns (its dnsmasq is `dnsReplica`). */
  secondDnsReplica?: boolean;
  /**
   * Two resolvers outside the cluster (dnsmasq in namespaces on node-2 no API object describes),
   * a Corefile `forward .` to both, and CoreDNS forwarding external names to them.
   */
  upstreams?: boolean;
}

/** What the lab's upstream resolvers answer for the external probe name. */
export const EXTERNAL_RECORDS: Readonly<Record<string, string>> = { 'kubernetes.io': '203.0.113.7' };

export interface LabUpstream {
  pod: string;
  ip: string;
  child: LabChild;
}

export interface LabCluster {
  objects: KubeObject[];
  dns: LabChild;
  /** The node-2 replica, with its pod name and the records both replicas serve. */
  dnsReplica?: { pod: string; child: LabChild; records: Record<string, string> };
  /** With the upstreams option: the two resolvers CoreDNS forwards to. */
  upstreams?: LabUpstream[];
}

/** Build the pods in the lab, start their listeners, DNS and kube-proxy rules; return the API objects and the DNS server. */
export async function populateCluster(lab: Lab, options: ClusterOptions = {}): Promise<LabCluster> {
  const objects: KubeObject[] = ['default', 'kube-system', 'netcheck', 'shop'].map((name) => namespaceObject(name));
  for (const node of lab.nodes) objects.push(nodeObject({ name: node.name, internalIP: node.internalIP, podCIDR: node.podCIDR }));
  const apiNode = lab.node('node-1');

  objects.push(
    serviceObject({
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: KUBERNETES_CLUSTER_IP,
      ports: [{ name: 'https', port: 443, targetPort: API_SERVER_PORT }],
      labels: { component: 'apiserver', provider: 'kubernetes' },
    }),
    endpointSliceObject({
      namespace: 'default',
      service: 'kubernetes',
      name: 'kubernetes',
      ports: [{ name: 'https', port: API_SERVER_PORT }],
      endpoints: [{ ip: apiNode.internalIP, ready: true }],
    }),
  );
  const labServices: Record<string, LabService> = {
    kubernetes: {
      namespace: 'default',
      clusterIP: KUBERNETES_CLUSTER_IP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: API_SERVER_PORT }],
      endpoints: [apiNode.internalIP],
    },
  };

  // Cluster DNS: dnsmasq in a CoreDNS pod behind the kube-dns Service.
  const coredns = await lab.addPod('coredns-6f6b679f8f-x7k2p', { node: 'node-1', namespace: 'kube-system', host: 53, labels: { 'k8s-app': 'kube-dns' } });
  const replicas = [coredns];
  if (options.secondDnsReplica)
    replicas.push(await lab.addPod('coredns-6f6b679f8f-m4q9z', { node: 'node-2', namespace: 'kube-system', host: 53, labels: { 'k8s-app': 'kube-dns' } }));
  const dnsPorts = [
    { name: 'dns', port: 53, protocol: 'UDP' as const },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' as const },
  ];
  objects.push(
    serviceObject({
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: DNS_CLUSTER_IP,
      selector: { 'k8s-app': 'kube-dns' },
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
      ports: dnsPorts.map((port) => ({ ...port, targetPort: 53 })),
    }),
    ...replicas.map((replica) =>
      podObject({
        namespace: 'kube-system',
        name: replica.name,
        labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '6f6b679f8f' },
        nodeName: replica.node.name,
        podIP: replica.ip,
        owner: { kind: 'ReplicaSet', name: 'coredns-6f6b679f8f' },
        containers: [
          { name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.1', ports: dnsPorts.map(({ name, port, protocol }) => ({ name, containerPort: port, protocol })) },
        ],
      }),
    ),
    endpointSliceObject({
      namespace: 'kube-system',
      service: 'kube-dns',
      name: 'kube-dns-q8w2r',
      ports: dnsPorts,
      endpoints: replicas.map((replica) => ({ ip: replica.ip, ready: true, nodeName: replica.node.name, podName: replica.name })),
    }),
  );
  labServices['kube-dns'] = {
    namespace: 'kube-system',
    clusterIP: DNS_CLUSTER_IP,
    ports: dnsPorts.map(({ name, port, protocol }) => ({ name, port, protocol, targetPort: port })),
    endpoints: replicas.map((replica) => replica.ip),
  };

  // kube-proxy runs on every node (its rules are the lab's iptables rules).
  objects.push(
    daemonSetObject({
      namespace: 'kube-system',
      name: 'kube-proxy',
      labels: { 'k8s-app': 'kube-proxy' },
      selector: { 'k8s-app': 'kube-proxy' },
      image: 'registry.k8s.io/kube-proxy:v1.34.1',
      desired: lab.nodes.length,
      ready: lab.nodes.length,
    }),
    ...lab.nodes.map((node, index) =>
      podObject({
        namespace: 'kube-system',
        name: `kube-proxy-${['2xk9d', '7hq4m'][index] ?? index}`,
        labels: { 'k8s-app': 'kube-proxy' },
        nodeName: node.name,
        podIP: node.internalIP,
        hostNetwork: true,
        owner: { kind: 'DaemonSet', name: 'kube-proxy' },
        containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.34.1' }],
      }),
    ),
  );

  // The CNI the lab imitates: kindnet's design (one route per node's spec.podCIDR, no overlay), so
  // the route checks know each node must route the others' pod CIDRs.
  objects.push(
    daemonSetObject({
      namespace: 'kube-system',
      name: 'kindnet',
      labels: { app: 'kindnet', 'k8s-app': 'kindnet' },
      selector: { app: 'kindnet' },
      image: 'docker.io/kindest/kindnetd:v20250512-df8de77b',
      desired: lab.nodes.length,
      ready: lab.nodes.length,
    }),
    ...lab.nodes.map((node, index) =>
      podObject({
        namespace: 'kube-system',
        name: `kindnet-${['p4x8z', 'r2m7q'][index] ?? index}`,
        labels: { app: 'kindnet', 'k8s-app': 'kindnet' },
        nodeName: node.name,
        podIP: node.internalIP,
        hostNetwork: true,
        owner: { kind: 'DaemonSet', name: 'kindnet' },
        containers: [{ name: 'kindnet-cni', image: 'docker.io/kindest/kindnetd:v20250512-df8de77b' }],
      }),
    ),
  );

  // Where the CLI runs: a pod on node-1.
  const client = await lab.addPod(CLIENT_POD, { node: 'node-1', namespace: 'netcheck', host: 99, labels: { app: 'netcheck' } });
  objects.push(
    podObject({
      namespace: 'netcheck',
      name: client.name,
      labels: client.labels,
      nodeName: client.node.name,
      podIP: client.ip,
      containers: [{ name: 'netcheck', image: 'netcheck:0.1.0' }],
    }),
  );

  const records: Record<string, string> = { [`kubernetes.default.svc.${CLUSTER_DOMAIN}`]: KUBERNETES_CLUSTER_IP };
  for (const app of APPS) {
    records[`${app.name}.shop.svc.${CLUSTER_DOMAIN}`] = app.clusterIP;
    objects.push(
      serviceObject({
        namespace: 'shop',
        name: app.name,
        clusterIP: app.clusterIP,
        selector: { app: app.name },
        ports: [{ name: 'http', port: 80, targetPort: app.targetPort }],
        ...(app.internalTrafficPolicy ? { internalTrafficPolicy: app.internalTrafficPolicy } : {}),
      }),
    );
    // Named like the API objects, so kube-proxy's comments in the rules read "shop/<app>:http".
    const labService: LabService = {
      namespace: 'shop',
      clusterIP: app.clusterIP,
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: typeof app.targetPort === 'number' ? app.targetPort : APP_PORT }],
      endpoints: [],
      ...(app.internalTrafficPolicy ? { internalTrafficPolicy: app.internalTrafficPolicy } : {}),
    };
    const slicePort = [{ name: 'http', port: typeof app.targetPort === 'number' ? app.targetPort : APP_PORT }];
    if (!app.hasPod) {
      objects.push(endpointSliceObject({ namespace: 'shop', service: app.name, name: `${app.name}-k2x9d`, ports: slicePort, endpoints: [] }));
      labServices[app.name] = labService;
      continue;
    }
    const podName = `${app.name}-0`;
    const pod = await lab.addPod(podName, { node: app.node, namespace: 'shop', host: app.host, labels: { app: app.name } });
    await lab.startTcpServer(podName, [APP_PORT]);
    objects.push(
      podObject({
        namespace: 'shop',
        name: podName,
        labels: pod.labels,
        nodeName: app.node,
        podIP: pod.ip,
        owner: { kind: 'StatefulSet', name: app.name },
        containers: [{ name: app.name, image: `shop/${app.name}:1.0`, ports: [{ name: 'http', containerPort: APP_PORT }] }],
      }),
      endpointSliceObject({
        namespace: 'shop',
        service: app.name,
        name: `${app.name}-k2x9d`,
        ports: slicePort,
        endpoints: [{ ip: pod.ip, ready: true, nodeName: app.node, podName }],
      }),
    );
    labServices[app.name] = { ...labService, endpoints: [pod.ip] };
  }
  await lab.setServices(labServices);

  // A NetworkPolicy denying all ingress to pay's pods, enforced the way a CNI would: a drop rule
  // on pay's node for new connections to its pod.
  objects.push(networkPolicyObject('shop', 'pay-deny-all-ingress', { podSelector: { matchLabels: { app: 'pay' } }, policyTypes: ['Ingress'] }));
  const pay = lab.pod('pay-0');
  await lab.setDrops(pay.node.name, [{ destination: pay.ip, protocol: 'tcp', port: APP_PORT }]);

  const upstreams: LabUpstream[] = [];
  if (options.upstreams) {
    for (const [index, name] of ['upstream-dns-a', 'upstream-dns-b'].entries()) {
      const pod = await lab.addPod(name, { node: 'node-2', namespace: 'outside', host: 201 + index });
      upstreams.push({ pod: name, ip: pod.ip, child: await lab.startDns(name, { ...EXTERNAL_RECORDS }) });
    }
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: {
        Corefile: `.:53 {\n    errors\n    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa\n    forward . ${upstreams.map((u) => u.ip).join(' ')}\n    cache 30\n    loop\n}\n`,
      },
    });
  }
  const dnsOptions = upstreams.length ? { upstreams: upstreams.map((u) => u.ip) } : {};
  const dns = await lab.startDns(coredns.name, records, dnsOptions);
  const second = replicas[1];
  const extra = upstreams.length ? { upstreams } : {};
  if (!second) return { objects, dns, ...extra };
  return { objects, dns, dnsReplica: { pod: second.name, child: await lab.startDns(second.name, records, dnsOptions), records }, ...extra };
}
