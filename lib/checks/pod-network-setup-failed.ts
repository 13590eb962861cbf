import { detectCni } from './lib/cni.js';
import { finding, passed, skipped } from './lib/finding.js';
import { nodeSubject, podSubject, serviceSubject, uniqueSubjects } from './lib/service.js';
import { sharesPodsElseSubject } from './lib/subjects.js';
import type { Check } from './types.js';
import {
  eventLine,
  eventsAbout,
  looksLikeCoreDns,
  plural,
  sandboxNetworkFailure,
  type EventFact,
  type Facts,
  type Finding,
  type PodFact,
  type SandboxNetworkFailure,
  type Subject,
  outsideScopeReason,
} from '../model/index.js';
import { backendPods, targetService } from '../scope/path.js';

// The kubelet says why a pod never got a network: FailedCreatePodSandBox with the CNI's own
// error, or NetworkNotReady while the node has no working CNI. Pods look merely "Pending /
// ContainerCreating" to every other check; the events name the cause and the node.

interface Stuck {
  pod: PodFact;
  failure: SandboxNetworkFailure;
  event: EventFact;
}

/** The pods the job is about: the Service's backends, the cluster DNS pods, or the node's pods. */
function podsInScope(facts: Facts): PodFact[] {
  const target = facts.target;
  switch (target.kind) {
    case 'svc':
      return backendPods(facts);
    case 'dns':
      return facts.systemPods.filter(looksLikeCoreDns);
    case 'node': {
      const seen = new Set<string>();
      return [...facts.pods, ...facts.systemPods].filter((p) => {
        const key = `${p.namespace}/${p.name}`;
        if (p.nodeName !== target.name || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case 'cluster':
      return [];
  }
}

/**
 * Waiting for its sandbox: scheduled, not ready, still Pending. A running pod with an old
 * sandbox event recovered; judging it by that event would be a confident wrong answer.
 */
function awaitingSandbox(pod: PodFact): boolean {
  return pod.phase === 'Pending' && pod.nodeName !== undefined && !pod.ready && !pod.deletionTimestamp;
}

/** The runtime wraps the CNI's error in gRPC boilerplate; the CNI's own words are what help. */
function withoutRuntimePrefix(message: string): string {
  return message.replace(/^Failed to create pod sandbox: rpc error: code = \w+ desc = /, '');
}

const MEANING: Record<SandboxNetworkFailure, string> = {
  'ip-exhausted': 'the CNI has no pod IP address left to assign (IPAM exhausted)',
  'cni-not-ready': 'the node has no working CNI yet (network plugin not ready)',
  'cni-failed': 'the CNI plugin failed to set up the pod network',
};

function remediationFor(facts: Facts, failure: SandboxNetworkFailure, nodes: string[]): string {
  const cni = detectCni(facts.systemDaemonSets);
  const cniPods = (node: string) =>
    cni?.daemonSets.length
      ? cni.daemonSets.map(
          (ds) =>
            `kubectl -n ${ds.namespace} get pods -l ${Object.entries(ds.selector)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')} --field-selector spec.nodeName=${node} -o name | xargs kubectl -n ${ds.namespace} logs --all-containers --tail=50`,
        )
      : [`kubectl get pods -A -o wide --field-selector spec.nodeName=${node}   # find the CNI pod on ${node} and read its logs`];
  const lines: string[] = [];
  for (const node of nodes) {
    if (failure === 'ip-exhausted') {
      lines.push(`kubectl describe node ${node}   # allocatable pods vs running; free addresses by deleting finished pods`);
      if (cni?.kind === 'aws-vpc-cni')
        lines.push('# AWS VPC CNI: the node or its subnet is out of IPs — enable prefix delegation (ENABLE_PREFIX_DELEGATION=true) or give the nodes a larger subnet');
      else lines.push(`# the pod CIDR or IP pool of ${node} is full: grow the IP pool, or lower max-pods so the scheduler stops placing pods there`);
    } else if (failure === 'cni-not-ready') {
      lines.push(`# on ${node}: ls /etc/cni/net.d/ (the CNI writes its config there once its pod runs)`);
    }
    lines.push(...cniPods(node));
  }
  if (cni) lines.push(`# ${cni.name} troubleshooting: ${cni.docs}`);
  return lines.join('\n');
}

const check: Check = {
  code: 'pod-network-setup-failed',
  title: 'Pod network setup fails',
  passTitle: 'No pod waits for its network',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/#my-pod-stays-pending',
  appliesTo: ['svc', 'dns', 'node'],
  explains: ['pods-not-ready', 'no-ready-endpoints', 'clusterip-refused', 'clusterip-timeout', 'endpoint-timeout', 'cluster-dns-down', 'dns-service-name-failed'],
  // Pod-level symptoms only through the same pods; service-level ones when it concerns the Service.
  explainsFinding: sharesPodsElseSubject,
  run(facts: Facts): Finding[] {
    const pods = podsInScope(facts);
    const waiting = pods.filter(awaitingSandbox);
    // A node job's pods come from every namespace, which namespaced mode cannot list: say whose were judged.
    const partial = facts.readScope && facts.target.kind === 'node' ? ` ${outsideScopeReason(facts.readScope, "the node's pods of other namespaces")}.` : '';
    if (waiting.length === 0) {
      return [
        passed(check, facts, () => ({
          detail: `${pods.length ? `None of the ${plural(pods.length, 'pod')} in scope waits for its sandbox.` : 'No pod in scope.'}${partial}`,
        })),
      ];
    }
    if (!facts.events) return [skipped(check, `unknown, because no events were read for this job; ${plural(waiting.length, 'pod')} wait in Pending`)];
    const stuck: Stuck[] = [];
    for (const pod of waiting) {
      for (const event of eventsAbout(facts.events, 'Pod', pod.name, pod.namespace)) {
        const failure = sandboxNetworkFailure(event);
        if (failure) {
          stuck.push({ pod, failure, event });
          break;
        }
      }
    }
    if (stuck.length === 0) {
      if (facts.events.unknown) return [skipped(check, `${facts.events.unknown}; ${plural(waiting.length, 'pod')} wait in Pending and their sandbox events could not be read`)];
      const truncated = facts.events.truncated;
      return [
        passed(check, facts, () => ({
          detail: `${plural(waiting.length, 'pod')} still Pending, with no sandbox network failure among their events${truncated ? ' (the event reads were truncated at their page bound)' : ''}.`,
        })),
      ];
    }
    const counts = new Map<SandboxNetworkFailure, number>();
    for (const s of stuck) counts.set(s.failure, (counts.get(s.failure) ?? 0) + 1);
    const lead = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const nodes = [...new Set(stuck.map((s) => s.pod.nodeName as string))].sort();
    const service = facts.target.kind === 'svc' ? targetService(facts) : undefined;
    const servingLeft = pods.filter((p) => p.ready).length;
    const subjects: Subject[] = uniqueSubjects([...(service ? [serviceSubject(service)] : []), ...stuck.map((s) => podSubject(s.pod)), ...nodes.map(nodeSubject)]);
    const first = stuck[0]!;
    return [
      finding(check, {
        status: servingLeft === 0 || facts.target.kind === 'node' ? 'fail' : 'warn',
        title: `Pod network setup fails on ${nodes.join(', ')}`,
        detail:
          `${plural(stuck.length, 'pod')} on ${nodes.join(', ')} cannot start because ${MEANING[lead]} — ${first.pod.namespace}/${first.pod.name}: ${first.event.reason}: ${withoutRuntimePrefix(first.event.message)}` +
          (servingLeft ? `; ${servingLeft} other pod${servingLeft === 1 ? '' : 's'} still serve` : ''),
        evidence: stuck.slice(0, 6).map((s) => `${eventLine(s.event)} [pod on ${s.pod.nodeName}, ${s.pod.phase}]`),
        remediation: remediationFor(facts, lead, nodes),
        subjects,
      }),
    ];
  },
};

export default check;
