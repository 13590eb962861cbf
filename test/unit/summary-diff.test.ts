import { describe, expect, it } from '@jest/globals';
import type { Code, Finding, FindingRef, SweepReport } from '../../lib/model/index.js';
import { diffFindings, toFindingRefs } from '../../lib/summary/diff.js';

const finding = (code: string, status: Finding['status'], subjects: Finding['subjects'] = [], title = code): Finding => ({
  // Refs are made from stored summaries, whose codes may come from other versions: any string.
  id: code,
  code: code as Code,
  layer: 'node',
  status,
  title,
  detail: '',
  evidence: [],
  remediation: '',
  docs: '',
  subjects,
});

const sweep = (clusterFindings: Finding[], problems: SweepReport['problems'] = []): SweepReport => ({
  kind: 'sweep',
  cluster: 'prod',
  status: 'fail',
  startedAt: '2026-11-26T08:00:00Z',
  durationMs: 1200,
  apiRequests: 14,
  counts: { namespaces: 3, services: 10, nodes: 3, pods: 30, ok: 8, unverified: 0, warn: 1, fail: 1, error: 0 },
  clusterFindings,
  problems,
  verification: { probed: 10, limit: 20 },
});

const ref = (code: string, subject: string, status: FindingRef['status'] = 'fail'): FindingRef => ({ code, subject, status, title: code });

describe('toFindingRefs', () => {
  it('keeps problems only, one ref per cluster-finding subject, services as "ns/name"', () => {
    const refs = toFindingRefs(
      sweep(
        [
          finding('node-not-ready', 'fail', [
            { kind: 'node', name: 'node-2' },
            { kind: 'node', name: 'node-3' },
          ]),
          finding('dns-resolves', 'pass', [{ kind: 'dns', name: 'kube-dns', namespace: 'kube-system' }]),
          finding('cni-config', 'skip'),
          finding('kube-proxy-running', 'warn', [{ kind: 'daemonset', name: 'kube-proxy', namespace: 'kube-system' }]),
          finding('api-access', 'error'),
        ],
        [
          {
            namespace: 'shop',
            name: 'payments',
            status: 'fail',
            rootCause: null,
            findings: [finding('svc-no-endpoints', 'fail', [{ kind: 'pod', name: 'payments-1', namespace: 'shop' }]), finding('svc-selector', 'pass')],
            verified: true,
          },
        ],
      ),
    );
    expect(refs.map((r) => `${r.code} ${r.subject} ${r.status}`)).toEqual([
      'api-access cluster error',
      'kube-proxy-running kube-system/kube-proxy warn',
      'node-not-ready node-2 fail',
      'node-not-ready node-3 fail',
      'svc-no-endpoints shop/payments fail',
    ]);
  });

  it('keeps the worst status when the same problem appears twice', () => {
    const refs = toFindingRefs(sweep([finding('node-mtu', 'warn', [{ kind: 'node', name: 'node-1' }]), finding('node-mtu', 'fail', [{ kind: 'node', name: 'node-1' }])]));
    expect(refs).toEqual([{ code: 'node-mtu', subject: 'node-1', status: 'fail', title: 'node-mtu' }]);
  });
});

describe('diffFindings', () => {
  it('reports a fixed fault as resolved and a new one as added', () => {
    const yesterday = [ref('svc-no-endpoints', 'shop/payments'), ref('node-not-ready', 'node-2')];
    const today = [ref('node-not-ready', 'node-2'), ref('dns-timeout', 'kube-system/kube-dns')];
    expect(diffFindings(yesterday, today)).toEqual({
      added: [ref('dns-timeout', 'kube-system/kube-dns')],
      resolved: [ref('svc-no-endpoints', 'shop/payments')],
      changed: [],
    });
  });

  it('treats the same code on another subject as a different problem', () => {
    const diff = diffFindings([ref('node-not-ready', 'node-2')], [ref('node-not-ready', 'node-3')]);
    expect(diff.added.map((r) => r.subject)).toEqual(['node-3']);
    expect(diff.resolved.map((r) => r.subject)).toEqual(['node-2']);
  });

  it('reports a status change as changed, not as added or resolved', () => {
    const diff = diffFindings([ref('svc-port', 'shop/cart', 'fail')], [{ ...ref('svc-port', 'shop/cart', 'warn'), title: 'reworded' }]);
    expect(diff.added).toEqual([]);
    expect(diff.resolved).toEqual([]);
    expect(diff.changed).toEqual([{ ref: { ...ref('svc-port', 'shop/cart', 'warn'), title: 'reworded' }, previousStatus: 'fail' }]);
  });

  it('finds everything added on the first run and nothing when nothing changed', () => {
    const today = [ref('a', 'x'), ref('b', 'y')];
    expect(diffFindings([], today)).toEqual({ added: today, resolved: [], changed: [] });
    expect(diffFindings(today, [...today].reverse())).toEqual({ added: [], resolved: [], changed: [] });
  });
});
