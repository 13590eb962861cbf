import { finding, skipped } from './lib/finding.js';
import { nodeSubject, podSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { forwardTargets, isLoopbackTarget } from '../scope/corefile.js';
import { CLUSTER_DNS, looksLikeCoreDns, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';

// CoreDNS's own reason for failing, in its own words: the loop plugin's "Loop (…) detected" in a
// replica's (last) termination message, and a Corefile whose `forward` points at a loopback
// resolver. In a pod 127.0.0.53 is the pod itself, not the node's systemd-resolved, so such a
// forward sends every external lookup back into CoreDNS (or nowhere). The classic path there:
// `forward . /etc/resolv.conf` with CoreDNS on dnsPolicy Default, on nodes whose resolv.conf
// names 127.0.0.53 (https://coredns.io/plugins/loop#troubleshooting).

const NS = CLUSTER_DNS.namespace;
const LOOP = /plugin\/loop: Loop \(([^)]*)\) detected/i;

function loopMessage(pod: PodFact): string | undefined {
  for (const c of pod.containers) {
    for (const text of [c.lastTerminationMessage, c.message]) {
      const m = text ? LOOP.exec(text) : null;
      if (m) return m[0];
    }
  }
  return undefined;
}

const check: Check = {
  code: 'coredns-config-fault',
  title: "CoreDNS's configuration breaks resolution",
  passTitle: "CoreDNS's forward targets and loop check are sound",
  layer: 'system',
  docs: 'https://coredns.io/plugins/loop/#troubleshooting',
  appliesTo: ['svc', 'dns', 'cluster'],
  explains: ['cluster-dns-down', 'coredns-endpoint-failing', 'dns-service-name-failed', 'externalname-unresolvable'],
  // CoreDNS answers every lookup in the cluster: its own fault explains any DNS symptom.
  explainsFinding: (cause) => cause.status === 'fail',
  run(facts: Facts): Finding[] {
    const pods = facts.systemPods.filter((p) => p.namespace === NS && looksLikeCoreDns(p));
    const looping = pods.map((pod) => ({ pod, message: loopMessage(pod) })).filter((l): l is { pod: PodFact; message: string } => l.message !== undefined);
    const corefile = facts.dns?.corefile;
    const targets = corefile?.text !== undefined ? forwardTargets(corefile.text) : [];
    const loopback = targets.filter(isLoopbackTarget);
    // On the host network 127.0.0.53 is the node's own resolver, which works.
    const podNetwork = pods.length === 0 || pods.some((p) => !p.hostNetwork);
    const badForward = podNetwork && loopback.length > 0;
    const throughResolvConf = targets.includes('/etc/resolv.conf');

    if (looping.length === 0 && !badForward) {
      if (corefile?.unknown)
        return [skipped(check, `${corefile.unknown}; the chart grants get on that ConfigMap by name (Role …-coredns-config in ${NS}). No CoreDNS replica reports a loop.`)];
      if (!corefile) return [skipped(check, facts.dns ? 'The Corefile was not read for this job; no CoreDNS replica reports a loop.' : 'DNS not in scope.')];
      if (corefile.text === undefined) return [skipped(check, `No ConfigMap ${NS}/coredns with a Corefile (not CoreDNS, or configured elsewhere); no replica reports a loop.`)];
      return [
        finding(check, {
          status: 'pass',
          detail: targets.length
            ? `CoreDNS forwards to ${targets.join(' ')}; no replica reports a loop.`
            : 'The Corefile forwards nowhere (cluster names only); no replica reports a loop.',
        }),
      ];
    }

    const subjects: Subject[] = uniqueSubjects([
      { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: NS },
      ...looping.flatMap(({ pod }) => [podSubject(pod), ...(pod.nodeName ? [nodeSubject(pod.nodeName)] : [])]),
    ]);
    const evidence = [
      ...looping.map(({ pod, message }) => `pod ${NS}/${pod.name}${pod.nodeName ? ` on ${pod.nodeName}` : ''}: ${message}`),
      ...(targets.length ? [`kubectl -n ${NS} get configmap coredns -o jsonpath='{.data.Corefile}' | grep forward → forward . ${targets.join(' ')}`] : []),
      ...(corefile?.unknown ? [corefile.unknown] : []),
    ];
    const why = badForward
      ? `the Corefile forwards to ${loopback.join(', ')}, which inside a CoreDNS pod is the pod itself, not the node's resolver`
      : throughResolvConf
        ? "the Corefile forwards to /etc/resolv.conf, and the nodes' resolv.conf names a local resolver (systemd-resolved's 127.0.0.53), so CoreDNS forwards to itself"
        : 'a forward target leads back to CoreDNS itself';
    const remediation = [
      `kubectl -n ${NS} edit configmap coredns   # forward . <your upstream resolvers' IPs>, not a 127.x address`,
      ...(throughResolvConf || badForward
        ? ['# or keep `forward . /etc/resolv.conf` and point the kubelet at the real upstreams: resolvConf: /run/systemd/resolve/resolv.conf in the KubeletConfiguration']
        : []),
      `kubectl -n ${NS} rollout restart deployment coredns`,
    ].join('\n');
    return [
      finding(check, {
        status: 'fail',
        title: looping.length
          ? `CoreDNS detected a forwarding loop on ${looping.length} replica${looping.length === 1 ? '' : 's'}`
          : `CoreDNS forwards to a loopback address (${loopback.join(', ')})`,
        detail: looping.length
          ? `CoreDNS's loop plugin stopped ${looping.map(({ pod }) => pod.name).join(', ')}: ${looping[0]!.message} — ${why}, so its replicas exit and restart.`
          : `CoreDNS cannot resolve names outside the cluster: ${why}.`,
        evidence,
        remediation,
        subjects,
      }),
    ];
  },
};

export default check;
