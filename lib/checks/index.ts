// The check registry: every check the engine runs, in a stable order (object → workload →
// endpoint → dataplane → DNS, then the node and system checks). The verdict reorders findings by
// causality; this order only decides how ties read.
import type { Check } from './types.js';
import { finding } from './lib/finding.js';
import { sharesSubject } from './lib/subjects.js';

import apiAccessDenied from './api-access-denied.js';
import clusterDnsDown from './cluster-dns-down.js';
import corednsEndpointFailing from './coredns-endpoint-failing.js';
import corednsConfigFault from './coredns-config-fault.js';
import corednsUpstreamFailing from './coredns-upstream-failing.js';
import nodelocalDnsUnhealthy from './nodelocal-dns-unhealthy.js';
import nodeDnsResolutionFailed from './node-dns-resolution-failed.js';
import clusteripRefused from './clusterip-refused.js';
import clusteripTimeout from './clusterip-timeout.js';
import dnsEgressDenied from './dns-egress-denied.js';
import dnsServiceNameFailed from './dns-service-name-failed.js';
import dnsNdotsSearchExpansion from './dns-ndots-search-expansion.js';
import endpointRefused from './endpoint-refused.js';
import endpointTimeout from './endpoint-timeout.js';
import noReadyEndpoints from './no-ready-endpoints.js';
import podsNotReady from './pods-not-ready.js';
import protocolMismatch from './protocol-mismatch.js';
import selectorMatchesNoPods from './selector-matches-no-pods.js';
import serviceNotFound from './service-not-found.js';
import serviceWithoutSelector from './service-without-selector.js';
import targetPortMismatch from './target-port-mismatch.js';

import bridgeNfCallIptablesDisabled from './bridge-nf-call-iptables-disabled.js';
import cniUnhealthy from './cni-unhealthy.js';
import conntrackTableFull from './conntrack-table-full.js';
import conntrackUnreplied from './conntrack-unreplied.js';
import externalnameUnresolvable from './externalname-unresolvable.js';
import forwardBlockedByNetfilter from './forward-blocked-by-netfilter.js';
import ipForwardDisabled from './ip-forward-disabled.js';
import kubeProxyRulesStale from './kube-proxy-rules-stale.js';
import kubeProxyUnhealthy from './kube-proxy-unhealthy.js';
import loadbalancerPending from './loadbalancer-pending.js';
import mtuMismatch from './mtu-mismatch.js';
import hostportWithoutPortmap from './hostport-without-portmap.js';
import networkPolicyDenies from './network-policy-denies.js';
import calicoHostEndpointDenies from './calico-host-endpoint-denies.js';
import nodeAgentUnreachable from './node-agent-unreachable.js';
import nodeNetworkUnavailable from './node-network-unavailable.js';
import nodeNotFound from './node-not-found.js';
import nodeNotReady from './node-not-ready.js';
import nodeportNoLocalEndpoints from './nodeport-no-local-endpoints.js';
import internalTrafficLocalNoEndpoint from './internal-traffic-local-no-endpoint.js';
import sessionAffinityBehindSnat from './session-affinity-behind-snat.js';
import dualStackMismatch from './dual-stack-mismatch.js';
import topologyHintsDisabled from './topology-hints-disabled.js';
import pathMtuBlackhole from './path-mtu-blackhole.js';
import podCidrRouteMissing from './pod-cidr-route-missing.js';
import podCidrUnavailable from './pod-cidr-unavailable.js';
import podNetworkSetupFailed from './pod-network-setup-failed.js';
import rpFilterStrict from './rp-filter-strict.js';
import type { Facts, Finding } from '../model/index.js';

export const checks: readonly Check[] = [
  apiAccessDenied,
  nodeAgentUnreachable,
  serviceNotFound,
  nodeNotFound,
  externalnameUnresolvable,
  loadbalancerPending,
  serviceWithoutSelector,
  selectorMatchesNoPods,
  podsNotReady,
  targetPortMismatch,
  protocolMismatch,
  noReadyEndpoints,
  clusteripRefused,
  clusteripTimeout,
  endpointRefused,
  endpointTimeout,
  pathMtuBlackhole,
  conntrackUnreplied,
  dnsServiceNameFailed,
  dnsNdotsSearchExpansion,
  clusterDnsDown,
  corednsEndpointFailing,
  corednsConfigFault,
  corednsUpstreamFailing,
  nodelocalDnsUnhealthy,
  nodeDnsResolutionFailed,
  nodeportNoLocalEndpoints,
  internalTrafficLocalNoEndpoint,
  sessionAffinityBehindSnat,
  dualStackMismatch,
  topologyHintsDisabled,
  nodeNotReady,
  nodeNetworkUnavailable,
  podCidrUnavailable,
  ipForwardDisabled,
  bridgeNfCallIptablesDisabled,
  podCidrRouteMissing,
  rpFilterStrict,
  conntrackTableFull,
  mtuMismatch,
  hostportWithoutPortmap,
  forwardBlockedByNetfilter,
  kubeProxyUnhealthy,
  kubeProxyRulesStale,
  cniUnhealthy,
  podNetworkSetupFailed,
  networkPolicyDenies,
  calicoHostEndpointDenies,
  dnsEgressDenied,
];

const byCode = new Map<string, Check>(checks.map((check) => [check.code, check]));

export function checkByCode(code: string): Check | undefined {
  return byCode.get(code);
}

/**
 * The verdict's link rule: a failing cause explains a symptom when its check lists the symptom's
 * code and the two share a subject (or the check's own rule, for causes whose reach the subjects
 * alone do not tell).
 */
export function explains(cause: Finding, symptom: Finding, facts: Facts): boolean {
  const check = byCode.get(cause.code);
  if (!check?.explains?.includes(symptom.code)) return false;
  return (check.explainsFinding ?? sharesSubject)(cause, symptom, facts);
}

/**
 * Selections by `codes` array and target kind: a sweep passes the same array for each of 10k
 * services, and asking every check whether it applies cost more than the loop around it.
 */
const selections = new WeakMap<readonly string[], Map<Facts['target']['kind'], readonly Check[]>>();
const allCodes: readonly string[] = checks.map((check) => check.code);

function selectChecks(kind: Facts['target']['kind'], codes: readonly string[] = allCodes): readonly Check[] {
  let byKind = selections.get(codes);
  if (!byKind) {
    const unknown = codes.filter((code) => !byCode.has(code));
    if (unknown.length) throw new Error(`unknown check code(s): ${unknown.join(', ')}; known: ${[...byCode.keys()].join(', ')}`);
    selections.set(codes, (byKind = new Map()));
  }
  let selected = byKind.get(kind);
  if (!selected) {
    const wanted = new Set(codes);
    selected = checks.filter((check) => wanted.has(check.code) && check.appliesTo.includes(kind));
    byKind.set(kind, selected);
  }
  return selected;
}

/**
 * Runs the checks that apply to the target kind. A check that throws is reported as an `error`
 * finding carrying the message, so one bug never hides the rest of the report.
 */
export function runChecks(facts: Facts, opts: { codes?: readonly string[] } = {}): Finding[] {
  const findings: Finding[] = [];
  for (const check of selectChecks(facts.target.kind, opts.codes)) {
    let out: Finding[];
    try {
      out = check.run(facts);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      out = [
        finding(check, {
          status: 'error',
          title: `Check ${check.code} crashed`,
          detail: `the check threw: ${message}`,
          remediation: 'report this as a netcheck bug with the facts (--json) attached',
        }),
      ];
    }
    if (out.length === 1) findings.push(out[0] as Finding);
    else pushNumbered(findings, out);
  }
  return findings;
}

/**
 * One check may emit several findings on the same subjects (one per failed request): the second
 * and later get "#2", "#3", in the check's own stable order. An id starts with its check's code,
 * so only one check's own findings can repeat: a sweep's 250k single findings need no set.
 */
function pushNumbered(findings: Finding[], out: Finding[]): void {
  const seen = new Map<string, number>();
  for (const f of out) {
    const count = (seen.get(f.id) ?? 0) + 1;
    seen.set(f.id, count);
    findings.push(count === 1 ? f : { ...f, id: `${f.id}#${count}` });
  }
}
