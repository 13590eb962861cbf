import type { Check } from './types.js';
import { countEndpoints, sliceEvidence } from './lib/endpoints.js';
import { finding, skipped } from './lib/finding.js';
import { explainsThroughEndpoints } from './lib/subjects.js';
import { accessDenied, describeAccessError, serviceSubject, serviceSlices, missingServiceReason } from './lib/service.js';
import { targetService } from '../scope/path.js';
import { eventLine, eventsAbout } from '../model/index.js';

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
    const subjects = [serviceSubject(svc)];
    const passed = `${ready} of ${total} endpoint addresses ready`;
    // A sweep drops passes: describing every slice of 10k healthy Services would be for nobody.
    if (ready > 0 && facts.keeps === 'problems') return [finding(check, { status: 'pass', detail: passed, subjects })];
    const command = `kubectl -n ${ns} get endpointslices -l kubernetes.io/service-name=${svc.name} -o wide`;
    // The endpointslice controller's own complaints (FailedToUpdateEndpointSlices …) about this Service.
    const controllerEvents = eventsAbout(facts.events, 'Service', svc.name, ns).filter((e) => e.reason !== 'TopologyAwareHintsDisabled');
    const evidence = [...(slices.length ? slices.map(sliceEvidence) : [`${command} → No resources found`]), ...controllerEvents.slice(0, 3).map((e) => eventLine(e))];
    if (ready > 0) return [finding(check, { status: 'pass', detail: passed, evidence, subjects })];
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
        evidence,
        remediation: `${command}   # then see why the selected pods are missing or not ready: kubectl -n ${ns} get pods -o wide`,
        subjects,
      }),
    ];
  },
};

export default check;
