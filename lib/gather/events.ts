// Events for the objects in scope: a few field-selected list reads, each bounded in pages, so a
// namespace with a noisy crash loop or a cluster with thousands of nodes costs the same handful
// of requests. Only reasons that say something about networking are kept (NETWORK_EVENT_REASONS).
// A failed read leaves the events "unknown, because …", recorded once however many reads failed.

import type { RawObject } from '../kube/convert.js';
import { KubeApiError, type KubeReader, type ListPage } from '../kube/reader.js';
import {
  isNetworkEvent,
  NETWORK_EVENT_REASONS,
  NODE_EVENTS_NAMESPACE,
  type AccessErrorFact,
  type EventFact,
  type EventsFact,
  type ReadScope,
  type Target,
} from '../model/index.js';

/** One field-selected read: events in a namespace, or cluster-wide when `namespace` is absent. */
export interface EventRead {
  namespace?: string;
  fieldSelector: string;
}

export interface EventReadOptions {
  /** Events per page (default 250). */
  pageSize?: number;
  /** Pages per read at most (default 4): past that the read stops and says it was truncated. */
  maxPages?: number;
}

const POD_WARNINGS = 'involvedObject.kind=Pod,type=Warning';
const SYSTEM_NAMESPACE = 'kube-system';

/**
 * What to read for a target. Pod events are read per namespace (no field selector picks a pod's
 * node or a Service's pods), Service events by name, node events by kind cluster-wide (nodes'
 * events sit in "default", or wherever the reporter put them). Names were validated with the
 * target before any of this runs.
 */
export function eventReadsFor(target: Target, scope?: ReadScope): EventRead[] {
  // Namespaced mode may not list events cluster-wide: node events are read where they are
  // recorded, and pod sandbox failures in each namespace it may read.
  const nodeEvents = scope ? { namespace: NODE_EVENTS_NAMESPACE } : {};
  switch (target.kind) {
    case 'svc':
      return [
        { namespace: target.namespace, fieldSelector: POD_WARNINGS },
        { namespace: target.namespace, fieldSelector: `involvedObject.kind=Service,involvedObject.name=${target.name}` },
        { ...nodeEvents, fieldSelector: 'involvedObject.kind=Node' },
      ];
    case 'dns':
      return [
        { namespace: SYSTEM_NAMESPACE, fieldSelector: POD_WARNINGS },
        { namespace: SYSTEM_NAMESPACE, fieldSelector: 'involvedObject.kind=Service,involvedObject.name=kube-dns' },
        { ...nodeEvents, fieldSelector: 'involvedObject.kind=Node' },
      ];
    case 'node': {
      const sandboxFailures = `${POD_WARNINGS},reason=FailedCreatePodSandBox`;
      return [
        { ...nodeEvents, fieldSelector: `involvedObject.kind=Node,involvedObject.name=${target.name}` },
        // Pods on the node in any namespace: sandbox failures are the node's CNI speaking.
        ...(scope
          ? scope.namespaces.filter((n) => n !== SYSTEM_NAMESPACE).map((namespace) => ({ namespace, fieldSelector: sandboxFailures }))
          : [{ fieldSelector: sandboxFailures }]),
        { namespace: SYSTEM_NAMESPACE, fieldSelector: POD_WARNINGS },
      ];
    }
    case 'cluster':
      // A cluster gather reads its own (sweepEventReads, in gatherCluster): a sweep needs them before its first namespace.
      return [];
  }
}

/**
 * Left out of a sweep: readiness failures are evidence only (no check decides on them) and the
 * noisiest reason of all; read cluster-wide they would be most of what is read.
 */
const NOT_SWEPT = new Set<string>(['Unhealthy']);

/**
 * A sweep's reads: cluster-wide, one per reason that some check decides on. A field selector
 * takes one value per field, hence one read per reason; every Warning of a large cluster (probe
 * failures, back-offs, scheduling) would fill any bound before the few that matter, while these
 * reasons are rare where all is well. Node events are CIDR reasons only (NodeReady and the like
 * would be thousands on a large cluster). Namespaced mode may not list events cluster-wide: each
 * reason is read in the namespaces it may read (its tenants and the DNS namespace), node reasons
 * where node events are recorded.
 */
export function sweepEventReads(scope?: ReadScope): EventRead[] {
  const podNamespaces = scope ? [...new Set([...scope.namespaces, SYSTEM_NAMESPACE])] : [];
  return Object.entries(NETWORK_EVENT_REASONS).flatMap(([kind, reasons]) =>
    reasons
      .filter((reason) => !NOT_SWEPT.has(reason))
      .flatMap((reason) => {
        const fieldSelector = `involvedObject.kind=${kind},reason=${reason}`;
        if (!scope) return [{ fieldSelector }];
        return (kind === 'Node' ? [NODE_EVENTS_NAMESPACE] : podNamespaces).map((namespace) => ({ namespace, fieldSelector }));
      }),
  );
}

/** A sweep's bound per read: more than one diagnosis reads, still a fixed number of pages per reason. */
export const SWEEP_EVENT_PAGES: Required<EventReadOptions> = { pageSize: 500, maxPages: 4 };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function toEventFact(o: RawObject): EventFact {
  const involved = (o.involvedObject ?? {}) as RawObject;
  const seriesCount = typeof o.series?.count === 'number' ? o.series.count : undefined;
  const count = seriesCount ?? (typeof o.count === 'number' && o.count > 0 ? o.count : 1);
  const fact: EventFact = {
    namespace: str(o.metadata?.namespace) ?? '',
    involvedObject: { kind: str(involved.kind) ?? '', name: str(involved.name) ?? '' },
    reason: str(o.reason) ?? '',
    message: str(o.message) ?? '',
    type: o.type === 'Warning' ? 'Warning' : 'Normal',
    count,
  };
  const involvedNamespace = str(involved.namespace);
  if (involvedNamespace) fact.involvedObject.namespace = involvedNamespace;
  const lastSeen = str(o.series?.lastObservedTime) ?? str(o.lastTimestamp) ?? str(o.eventTime) ?? str(o.firstTimestamp);
  if (lastSeen) fact.lastSeen = lastSeen;
  const reporter = str(o.reportingComponent) ?? str(o.source?.component);
  if (reporter) fact.reporter = reporter;
  return fact;
}

function eventsPath(namespace: string | undefined): string {
  return namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events';
}

/** Every read in parallel; each follows `continue` up to its page bound. */
export async function gatherEvents(reader: KubeReader, reads: readonly EventRead[], opts: EventReadOptions = {}): Promise<{ events: EventsFact; accessError?: AccessErrorFact }> {
  const pageSize = opts.pageSize ?? 250;
  const maxPages = opts.maxPages ?? 4;
  const items: EventFact[] = [];
  const seen = new Set<string>();
  let truncated = false;
  let failure: { read: EventRead; error: unknown } | undefined;

  const readAll = async (read: EventRead): Promise<void> => {
    let continueToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query: Record<string, string> = { fieldSelector: read.fieldSelector, limit: String(pageSize), ...(continueToken ? { continue: continueToken } : {}) };
      const body = await reader.get<ListPage<RawObject>>(eventsPath(read.namespace), query);
      for (const raw of body.items ?? []) {
        const event = toEventFact(raw ?? {});
        if (!isNetworkEvent(event.involvedObject.kind, event.reason)) continue;
        // Reads overlap (a node job's sandbox failures and its kube-system warnings): keep one copy.
        const key = `${raw?.metadata?.namespace ?? ''}/${raw?.metadata?.name ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        items.push(event);
      }
      continueToken = body.metadata?.continue || undefined;
      if (!continueToken) return;
    }
    truncated = true;
  };

  await Promise.all(
    reads.map((read) =>
      readAll(read).catch((error: unknown) => {
        failure ??= { read, error };
      }),
    ),
  );
  if (!failure) return { events: truncated ? { items, truncated } : { items } };
  const { read, error } = failure;
  const status = error instanceof KubeApiError ? error.status : 0;
  const message = (error as Error).message;
  const where = read.namespace ? ` in ${read.namespace}` : '';
  return {
    events: { items, ...(truncated ? { truncated } : {}), unknown: `unknown, because listing events${where} failed (${status === 0 ? 'no answer' : status}: ${message})` },
    accessError: { verb: 'list', resource: 'events', ...(read.namespace ? { namespace: read.namespace } : {}), status, message },
  };
}
