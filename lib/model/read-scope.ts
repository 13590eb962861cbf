import type { TargetSpec } from './target.js';

// Namespaced mode (the chart's rbac.scope=namespaced): on a multi-tenant cluster netcheck holds
// Roles in a few namespaces instead of a ClusterRole, so every read names its namespace, and what
// lies outside is unknown — never empty, never ok.

export interface ReadScope {
  /** The tenant namespaces netcheck may diagnose and sweep (a Role each). */
  namespaces: readonly string[];
  /** Namespaces of system components it may read too (kube-system, the CNI's): pods and DaemonSets there. */
  systemNamespaces: readonly string[];
}

/** Where node Events sit: the kubelet and the node controllers record them in "default". */
export const NODE_EVENTS_NAMESPACE = 'default';

/** Every namespace of the scope, tenants first. */
export function scopeNamespaces(scope: ReadScope): string[] {
  return [...new Set([...scope.namespaces, ...scope.systemNamespaces])];
}

/** "shop, web" — how reports name the scope. */
export function scopeLabel(scope: ReadScope): string {
  return scope.namespaces.join(', ');
}

/** The reason every finding that lost input to the scope gives. */
export function outsideScopeReason(scope: ReadScope, what: string): string {
  return `unknown, because netcheck runs namespaced (namespaces ${scopeLabel(scope)}) and may not read ${what}`;
}

/** The namespaces a job names that the scope does not grant; empty when it may run. */
export function namespacesOutsideScope(target: TargetSpec, scope: ReadScope): string[] {
  const named =
    target.kind === 'svc' || target.kind === 'dns'
      ? [target.namespace, ...(target.from ? [target.from.namespace] : [])]
      : target.kind === 'cluster'
        ? (target.namespaces ?? [])
        : [];
  return [...new Set(named)].filter((n) => !scope.namespaces.includes(n));
}

/** What the requester hears when a job names a namespace outside the scope. */
export function outsideScopeRefusal(outside: readonly string[], scope: ReadScope): string {
  const which = outside.length === 1 ? `namespace ${outside[0]} is` : `namespaces ${outside.join(', ')} are`;
  return `netcheck will not run this job: it runs namespaced on this cluster and may read only namespaces ${scopeLabel(scope)}, and ${which} outside them (the chart's rbac.namespaces adds one). Nothing was checked.`;
}
