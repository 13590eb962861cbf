import { describe, expect, it } from '@jest/globals';
import { runChecks } from '../../lib/checks/index.js';
import { namespacesOutsideScope, outsideScopeRefusal, type Facts, type Finding, type ReadScope, type Target } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';

// What the checks say in namespaced mode when part of their input lies outside what netcheck may
// read: unknown with the reason, or a pass that names what it could not judge — never a fail or a
// plain ok built on a list that was never made.

const SCOPE: ReadScope = { namespaces: ['shop'], systemNamespaces: ['kube-system'] };
const svc: Target = { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' };
const node: Target = { kind: 'node', name: 'node-1', cluster: 'test' };

function only(code: string, target: Target, raw: Record<string, unknown>, readScope: ReadScope | null = SCOPE): Finding {
  const facts: Facts = { ...buildFacts(target, raw), ...(readScope ? { readScope } : {}) };
  const findings = runChecks(facts, { codes: [code] });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

describe('checks in namespaced mode', () => {
  it('cni-unhealthy: no CNI among the readable DaemonSets is unknown, naming the value that reaches its namespace', () => {
    const finding = only('cni-unhealthy', svc, {
      systemDaemonSets: [{ name: 'kube-proxy', namespace: 'kube-system', selector: { 'k8s-app': 'kube-proxy' }, desired: 1, ready: 1 }],
    });
    expect(finding.status).toBe('skip');
    expect(finding.detail).toBe(
      "unknown, because netcheck runs namespaced (namespaces shop) and may not read DaemonSets outside kube-system, and no known CNI was recognised there (kube-system/kube-proxy): add the CNI's namespace to the chart's rbac.systemNamespaces.",
    );
    expect(only('cni-unhealthy', svc, { systemDaemonSets: [] }, null).detail).toMatch(/^unknown, because no known CNI/);
  });

  it('pod-network-setup-failed on a node job passes only for the pods it could read, and says so', () => {
    const pods = [{ name: 'web-1', namespace: 'shop', nodeName: 'node-1', phase: 'Running', ready: true, containers: [] }];
    const finding = only('pod-network-setup-failed', node, { nodes: [{ name: 'node-1', ready: true }], pods, events: { items: [] } });
    expect(finding.status).toBe('pass');
    expect(finding.detail).toContain("unknown, because netcheck runs namespaced (namespaces shop) and may not read the node's pods of other namespaces");
    expect(only('pod-network-setup-failed', node, { nodes: [{ name: 'node-1', ready: true }], pods, events: { items: [] } }, null).detail).not.toContain('namespaced');
  });

  it('api-access-denied names the namespace Role to fix, not a ClusterRole netcheck does not have', () => {
    const denied = { verb: 'list', resource: 'pods', namespace: 'shop', status: 403, message: 'pods is forbidden' };
    expect(only('api-access-denied', svc, { accessErrors: [denied] }).remediation).toMatch(
      /^kubectl -n shop patch role netcheck-reader --type=json .*# or add shop to the chart's rbac\.namespaces$/,
    );
    expect(only('api-access-denied', svc, { accessErrors: [denied] }, null).remediation).toMatch(/^kubectl patch clusterrole netcheck /);
  });
});

describe('the namespaced scope of a job', () => {
  it('names every namespace a job reaches that the scope does not grant', () => {
    expect(namespacesOutsideScope({ kind: 'svc', name: 'a', namespace: 'shop' }, SCOPE)).toEqual([]);
    expect(namespacesOutsideScope({ kind: 'svc', name: 'a', namespace: 'shop', from: { kind: 'deploy', name: 'b', namespace: 'hr' } }, SCOPE)).toEqual(['hr']);
    expect(namespacesOutsideScope({ kind: 'dns', namespace: 'kube-system' }, SCOPE)).toEqual(['kube-system']);
    expect(namespacesOutsideScope({ kind: 'cluster', namespaces: ['shop', 'web'] }, SCOPE)).toEqual(['web']);
    expect(namespacesOutsideScope({ kind: 'cluster' }, SCOPE)).toEqual([]);
    expect(namespacesOutsideScope({ kind: 'node', name: 'node-1' }, SCOPE)).toEqual([]);
  });

  it('tells the requester which namespaces are outside and how to add one', () => {
    expect(outsideScopeRefusal(['hr', 'web'], SCOPE)).toBe(
      "netcheck will not run this job: it runs namespaced on this cluster and may read only namespaces shop, and namespaces hr, web are outside them (the chart's rbac.namespaces adds one). Nothing was checked.",
    );
  });
});
