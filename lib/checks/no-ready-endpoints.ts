import type { Check } from './types.js';
import { countEndpoints, sliceEvidence } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { explainsThroughEndpoints } from './lib/subjects.js';
import { accessDenied, describeAccessError, serviceSubject, serviceSlices, missingServiceReason } from './lib/service.js';
import { targetService } from '../scope/path.js';
import { eventLine, eventsAbout, type EndpointSliceFact, type EventFact, type Facts, type ServiceFact } from '../model/index.js';

/** The slices and the endpointslice controller's own complaints (FailedToUpdateEndpointSlices …) about the Service, and the command that lists the slices. */
function evidenceOf(facts: Facts, svc: ServiceFact, slices: EndpointSliceFact[]): { command: string; controllerEvents: EventFact[]; lines: string[] } {
  const command = `kubectl -n ${svc.namespace} get endpointslices -l kubernetes.io/service-name=${svc.name} -o wide`;
  const controllerEvents = eventsAbout(facts.events, 'Service', svc.name, svc.namespace).filter((e) => e.reason !== 'TopologyAwareHintsDisabled');
  const lines = [...(slices.length ? slices.map(sliceEvidence) : [`${command} → No resources found`]), ...controllerEvents.slice(0, 3).map((e) => eventLine(e))];
  return { command, controllerEvents, lines };
}

const check: Check = {
  code: 'no-ready-endpoints',
  title: 'Service has no ready endpoints',
  passTitle: 'Service has ready endpoints',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions',
  appliesTo: ['svc'],
  explains: ['clusterip-refused', 'clusterip-timeout', 'dns-service-name-failed'],
  explainsFinding: explainsThroughEndpoints,
  run(facts) {
    const svc = targetService(facts);
    if (!svc) return [skipped(check, missingServiceReason(facts))];
    if (svc.type === 'ExternalName') return [skipped(check, 'ExternalName services have no endpoints')];
    const denied = accessDenied(facts, 'endpointslices', svc.namespace);
    if (denied) return [skipped(check, `cannot read endpoints: ${describeAccessError(denied)}`)];

    const ns = svc.namespace;
    const slices = serviceSlices(facts, svc);
    const { total, ready } = countEndpoints(slices);
    if (ready > 0)
      return [
        passed(check, facts, () => ({
          detail: `${ready} of ${total} endpoint addresses ready`,
          evidence: evidenceOf(facts, svc, slices).lines,
          subjects: [serviceSubject(svc)],
        })),
      ];
    const { command, controllerEvents, lines } = evidenceOf(facts, svc, slices);
    const why =
      slices.length === 0
        ? controllerEvents[0]
          ? `no EndpointSlices exist for it: the endpointslice controller reports ${controllerEvents[0].reason} (${controllerEvents[0].message})`
          : 'no EndpointSlices exist for it (is the endpoint-slice controller running?)'
        : total === 0
          ? 'its EndpointSlices list no addresses'
          : `all ${total} endpoint addresses are not ready`;
    return [
      finding(check, {
        status: 'fail',
        title: `${ns}/${svc.name} has no ready endpoints`,
        detail: `Service ${ns}/${svc.name} has no ready endpoints — ${why}, so connections to it are refused or hang`,
        evidence: lines,
        remediation: `${command}   # then see why the selected pods are missing or not ready: kubectl -n ${ns} get pods -o wide`,
        subjects: [serviceSubject(svc)],
      }),
    ];
  },
};

export default check;
