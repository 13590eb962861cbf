import { isEndpointReady } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { serviceSlices, serviceSubject } from './lib/service.js';
import type { Check } from './types.js';
import { eventLine, eventsAbout, type Facts, type Finding } from '../model/index.js';
import { targetService } from '../scope/path.js';

// Topology-aware routing (the topology-mode annotation, or trafficDistribution: PreferClose) only
// works while the EndpointSlice controller writes hints.forZones on the endpoints. It stops doing
// so, silently for clients, when the nodes lack zone or allocatable CPU ("Insufficient Node
// information") or the endpoints are too few or badly spread; it says why only in a
// TopologyAwareHintsDisabled event on the Service. Traffic then crosses zones again: no error,
// just the latency and the cross-zone cost the setting was meant to avoid.

const ASKED = new Set(['auto', 'Auto', 'PreferClose', 'PreferSameZone', 'PreferSameNode']);

const check: Check = {
  code: 'topology-hints-disabled',
  title: 'Topology-aware routing is asked for but disabled',
  passTitle: 'Topology-aware routing works as configured (or is not asked for)',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/topology-aware-routing/',
  appliesTo: ['svc'],
  run(facts: Facts): Finding[] {
    const svc = targetService(facts);
    if (!svc || svc.type === 'ExternalName') return [skipped(check, 'Not applicable: no Service with endpoints.')];
    const ref = `${svc.namespace}/${svc.name}`;
    const asked = [svc.topologyMode, svc.trafficDistribution].filter((v): v is string => v !== undefined && ASKED.has(v));
    if (asked.length === 0) return [passed(check, facts, () => ({ detail: `${ref} does not ask for topology-aware routing.` }))];
    const endpoints = serviceSlices(facts, svc).flatMap((s) => s.endpoints.filter(isEndpointReady));
    if (endpoints.length === 0) return [skipped(check, `Not judged: ${ref} has no ready endpoint (see no-ready-endpoints).`)];
    const hinted = endpoints.filter((e) => e.hintZones?.length).length;
    const events = eventsAbout(facts.events, 'Service', svc.name, svc.namespace).filter((e) => e.reason === 'TopologyAwareHintsDisabled');
    if (hinted === endpoints.length) {
      return [passed(check, facts, () => ({ detail: `${ref} asks for ${asked.join(', ')} and all ${endpoints.length} ready endpoints carry zone hints.` }))];
    }
    const why = events[0]
      ? ` The controller says: ${events[0].message}`
      : facts.events?.unknown
        ? ` (its events are ${facts.events.unknown.replace(/^unknown, because /, 'unknown because ')})`
        : '';
    return [
      finding(check, {
        status: 'warn',
        title: `Topology-aware routing is disabled for ${ref}`,
        detail: `${ref} asks for topology-aware routing (${asked.join(', ')}) but ${hinted === 0 ? 'none' : `only ${hinted}`} of its ${endpoints.length} ready endpoints carry hints.forZones, so kube-proxy routes across zones as if it were not set.${why}`,
        evidence: [
          `kubectl -n ${svc.namespace} get endpointslices -l kubernetes.io/service-name=${svc.name} -o jsonpath='{.items[*].endpoints[*].hints}': ${hinted} of ${endpoints.length} endpoints with hints`,
          ...events.slice(0, 2).map((e) => eventLine(e)),
        ],
        remediation: [
          `kubectl -n ${svc.namespace} describe svc ${svc.name}   # the TopologyAwareHintsDisabled event names the reason`,
          'kubectl get nodes -L topology.kubernetes.io/zone   # every node needs a zone label and allocatable CPU; spread endpoints over the zones in proportion',
        ].join('\n'),
        subjects: [serviceSubject(svc)],
      }),
    ];
  },
};

export default check;
