import * as z from 'zod';
import { dnsLabel, dnsSubdomain, lookupName } from './names.js';

// What a diagnosis is about. One union for the job schema, the engine, the checks and the
// renderers: a `svc` target always has its name and namespace, so no layer re-validates it.

/** A source workload for `--from`: a pod by name, or a controller whose pods are the clients. */
export const sourceKinds = ['pod', 'deploy', 'sts', 'ds', 'rs'] as const;
export type SourceKind = (typeof sourceKinds)[number];

export const sourceSchema = z.object({ kind: z.enum(sourceKinds), name: dnsSubdomain, namespace: dnsLabel });
export type TargetSource = z.infer<typeof sourceSchema>;

export const targetSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('svc'), name: dnsLabel, namespace: dnsLabel, from: sourceSchema.optional() }),
  z.object({ kind: z.literal('node'), name: dnsSubdomain }),
  /** `name`: one name the client resolves (its search list and ndots judged); `slow`: the complaint is latency, not failure. */
  z.object({ kind: z.literal('dns'), namespace: dnsLabel, from: sourceSchema.optional(), name: lookupName.optional(), slow: z.boolean().optional() }),
  /** `namespaces` narrows a sweep's services to those namespaces; cluster-wide checks still run. */
  z.object({ kind: z.literal('cluster'), namespaces: z.array(dnsLabel).min(1).optional() }),
]);
/** A target as a job carries it (the cluster travels beside it). */
export type TargetSpec = z.infer<typeof targetSpecSchema>;
export type TargetKind = TargetSpec['kind'];

/** A target on one cluster: what the engine diagnoses. */
export type Target = TargetSpec & { cluster: string };
export type ServiceTarget = Extract<Target, { kind: 'svc' }>;

export function onCluster(spec: TargetSpec, cluster: string): Target {
  return { ...spec, cluster };
}

function sourceKey(from: TargetSource | undefined): string {
  return from ? `<${from.namespace}/${from.kind}/${from.name}` : '';
}

/** Stable key: deduplication ids, FIFO groups, thread keys ("svc/shop/payments", "node/node-2"). */
export function targetKey(target: TargetSpec): string {
  switch (target.kind) {
    case 'svc':
      return `svc/${target.namespace}/${target.name}${sourceKey(target.from)}`;
    case 'node':
      return `node/${target.name}`;
    case 'dns':
      return `dns/${target.namespace}${target.name ? `/${target.name}` : ''}${target.slow ? '/slow' : ''}${sourceKey(target.from)}`;
    case 'cluster':
      return target.namespaces ? `cluster/${[...target.namespaces].sort().join(',')}` : 'cluster';
  }
}

/** "deploy/checkout in shop" — how a source reads in a sentence. */
export function sourceLabel(from: TargetSource): string {
  return `${from.kind}/${from.name} in ${from.namespace}`;
}

/** Short label, as a heading reads it: "svc shop/payments", "node node-2", "dns from shop", "cluster". */
export function targetLabel(target: TargetSpec): string {
  const from = 'from' in target && target.from ? ` from ${target.from.namespace}/${target.from.kind}/${target.from.name}` : '';
  switch (target.kind) {
    case 'svc':
      return `svc ${target.namespace}/${target.name}${from}`;
    case 'node':
      return `node ${target.name}`;
    case 'dns':
      return `dns${target.name ? ` ${target.name}` : ''} from ${target.namespace}${from}`;
    case 'cluster':
      return target.namespaces ? `cluster (namespaces ${target.namespaces.join(', ')})` : 'cluster';
  }
}

/** In a sentence: "svc payments in shop", "node node-2", "dns in shop", "cluster". */
export function describeTarget(target: TargetSpec): string {
  const from = 'from' in target && target.from ? ` from ${sourceLabel(target.from)}` : '';
  switch (target.kind) {
    case 'svc':
      return `svc ${target.name} in ${target.namespace}${from}`;
    case 'node':
      return `node ${target.name}`;
    case 'dns':
      return `dns${target.name ? ` ${target.name}` : ''} in ${target.namespace}${from}${target.slow ? ' (slow lookups)' : ''}`;
    case 'cluster':
      return 'cluster';
  }
}

const SOURCE_ALIASES: Record<string, SourceKind> = {
  pod: 'pod',
  po: 'pod',
  deploy: 'deploy',
  deployment: 'deploy',
  sts: 'sts',
  statefulset: 'sts',
  ds: 'ds',
  daemonset: 'ds',
  rs: 'rs',
  replicaset: 'rs',
};

/**
 * `--from [<namespace>/]<pod|deploy/NAME|sts/NAME|ds/NAME|rs/NAME>`: "checkout-7d9f-x2" is a pod in
 * the default namespace, "deploy/checkout" a Deployment there, "shop/deploy/checkout" one in shop.
 */
export function parseSource(text: string, defaultNamespace: string): { ok: true; value: TargetSource } | { ok: false; error: string } {
  const parts = text.split('/');
  const usage = 'use [<namespace>/]<pod> or [<namespace>/]<deploy|sts|ds|rs>/<name>';
  let namespace = defaultNamespace;
  let kind: SourceKind = 'pod';
  let name: string | undefined;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const alias = SOURCE_ALIASES[parts[0] ?? ''];
    if (alias) [kind, name] = [alias, parts[1]];
    else [namespace, name] = [parts[0] ?? '', parts[1]];
  } else if (parts.length === 3) {
    const alias = SOURCE_ALIASES[parts[1] ?? ''];
    if (!alias) return { ok: false, error: `--from "${text.slice(0, 80)}": "${(parts[1] ?? '').slice(0, 40)}" is not a workload kind; ${usage}` };
    [namespace, kind, name] = [parts[0] ?? '', alias, parts[2]];
  } else return { ok: false, error: `--from "${text.slice(0, 80)}" has too many parts; ${usage}` };
  const parsed = sourceSchema.safeParse({ kind, name, namespace });
  if (!parsed.success) return { ok: false, error: `--from "${text.slice(0, 80)}": ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` };
  return { ok: true, value: parsed.data };
}

/**
 * The one check of a target's names, for the boundary where they become API paths: the same
 * schema the job carries, so a target built in code (tests, local mode) cannot bypass it.
 */
export function assertValidTarget(target: Target): void {
  const parsed = targetSpecSchema.safeParse(target);
  if (!parsed.success) {
    throw new Error(`invalid ${target.kind} target: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'target'} ${i.message}`).join('; ')}`);
  }
}
