import type { Check } from './types.js';
import { finding } from './lib/finding.js';
import type { AccessErrorFact, Finding } from '../model/index.js';

/** The ClusterRole the Helm chart binds to netcheck's service account. */
const NETCHECK_CLUSTER_ROLE = 'netcheck';

function where(err: AccessErrorFact): string {
  return err.namespace ? `in namespace ${err.namespace}` : 'cluster-wide';
}

function ruleFor(err: AccessErrorFact) {
  return { apiGroups: [err.group ?? ''], resources: [err.resource], verbs: ['get', 'list'] };
}

/** Namespaced mode has no ClusterRole to patch: the rule belongs in the chart's Role of that namespace. */
const NAMESPACED_ROLE = 'netcheck-reader';

function describe(err: AccessErrorFact, namespaced: boolean): { title: string; detail: string; remediation: string } {
  const permission = `${err.verb} ${err.resource}${err.group ? `.${err.group}` : ''} ${where(err)}`;
  if (err.status === 403) {
    return {
      title: `Not allowed to ${permission}`,
      detail: `netcheck may not ${permission} (403 Forbidden); checks that need ${err.resource} are skipped, the rest still ran`,
      remediation:
        namespaced && err.namespace
          ? `kubectl -n ${err.namespace} patch role ${NAMESPACED_ROLE} --type=json -p '${JSON.stringify([{ op: 'add', path: '/rules/-', value: ruleFor(err) }])}'   # or add ${err.namespace} to the chart's rbac.namespaces`
          : `kubectl patch clusterrole ${NETCHECK_CLUSTER_ROLE} --type=json -p '${JSON.stringify([{ op: 'add', path: '/rules/-', value: ruleFor(err) }])}'`,
    };
  }
  if (err.status === 401) {
    return {
      title: `API credentials rejected while trying to ${permission}`,
      detail: `the API server rejected netcheck's credentials (401 Unauthorized) on ${permission}; its token expired or is wrong`,
      remediation: 'kubectl auth whoami   # run with the kubeconfig netcheck uses; refresh its token if this fails too',
    };
  }
  if (err.status === 0) {
    return {
      title: `Could not reach the API server to ${permission}`,
      detail: `no answer from the API server for ${permission} (${err.message}); checks that need ${err.resource} say "unknown" instead of judging an empty list`,
      remediation: 'kubectl cluster-info   # with the kubeconfig netcheck uses: is the API server reachable from here?',
    };
  }
  return {
    title: `API request failed: ${permission} (HTTP ${err.status})`,
    detail: `the API server answered HTTP ${err.status} to ${permission}: ${err.message}`,
    remediation: `kubectl get --raw /readyz?verbose   # is the API server healthy?`,
  };
}

const check: Check = {
  code: 'api-access-denied',
  title: 'Kubernetes API access denied',
  passTitle: 'Every Kubernetes API read succeeded',
  layer: 'access',
  docs: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/',
  appliesTo: ['svc', 'node', 'dns', 'cluster'],
  run(facts) {
    if (facts.accessErrors.length === 0) {
      return [finding(check, { status: 'pass', detail: 'every API read was allowed' })];
    }
    return facts.accessErrors.map((err): Finding => {
      const text = describe(err, facts.readScope !== undefined);
      return finding(check, {
        status: 'error',
        title: text.title,
        detail: text.detail,
        evidence: [`${err.verb} ${err.resource} ${where(err)} → ${err.status === 0 ? 'no answer' : `HTTP ${err.status}`}: ${err.message}`],
        remediation: text.remediation,
        subjects: err.namespace ? [{ kind: 'namespace', name: err.namespace }] : [],
      });
    });
  },
};

export default check;
