import type { Check } from './types.js';
import { countEndpoints, sliceEvidence } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { explainsThroughEndpoints } from './lib/subjects.js';
import { accessDenied, describeAccessError, hasSelector, serviceSubject, serviceSlices, missingServiceReason } from './lib/service.js';
import { targetService } from '../scope/path.js';

const check: Check = {
  code: 'service-without-selector',
  title: 'Service without selector has no usable manual endpoints',
  passTitle: 'Manual endpoints are usable',
  layer: 'object',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors',
  appliesTo: ['svc'],
  explains: ['no-ready-endpoints', 'clusterip-refused', 'clusterip-timeout', 'dns-service-name-failed'],
  explainsFinding: explainsThroughEndpoints,
  run(facts) {
    const svc = targetService(facts);
    if (!svc) return [skipped(check, missingServiceReason(facts))];
    if (svc.type === 'ExternalName') return [skipped(check, 'ExternalName services have no endpoints')];
    if (hasSelector(svc)) return [skipped(check, 'service has a selector; the endpoints controller manages its endpoints')];
    const denied = accessDenied(facts, 'endpointslices', svc.namespace);
    if (denied) return [skipped(check, `cannot read the manual endpoints: ${describeAccessError(denied)}`)];

    const ns = svc.namespace;
    const slices = serviceSlices(facts, svc);
    const { total, ready } = countEndpoints(slices);
    const subjects = [serviceSubject(svc)];
    const manifestHint =
      `kubectl -n ${ns} apply -f endpointslice.yaml   # an EndpointSlice labelled kubernetes.io/service-name=${svc.name}` +
      ` with the backend addresses and ports ${svc.ports.map((p) => p.targetPort).join(',')}`;
    if (slices.length === 0 || total === 0) {
      const what = slices.length === 0 ? 'no Endpoints or EndpointSlices exist for it' : 'its manual EndpointSlices list no addresses';
      return [
        finding(check, {
          status: 'fail',
          title: `Service ${ns}/${svc.name} has no selector and no manual endpoints`,
          detail: `Service ${ns}/${svc.name} has no selector and ${what}, so it routes nowhere`,
          evidence: [`service ${ns}/${svc.name}: selector <none>`, ...slices.map(sliceEvidence)],
          remediation: manifestHint,
          subjects,
        }),
      ];
    }
    // kube-proxy pairs each Service port with the slice port of the same name: a manual slice
    // whose ports are named differently gives that Service port no backends at all.
    const unmatched = svc.ports.filter((port) => !slices.some((s) => s.ports.some((p) => (p.name ?? '') === (port.name ?? '') && p.protocol === port.protocol)));
    if (unmatched.length === svc.ports.length) {
      const offered = [...new Set(slices.flatMap((s) => s.ports.map((p) => `${p.name ? `"${p.name}"` : '(unnamed)'} ${p.port}/${p.protocol}`)))].join(', ');
      const port = unmatched[0] as (typeof unmatched)[number];
      return [
        finding(check, {
          status: 'fail',
          title: `Manual endpoints of ${ns}/${svc.name} name their ports differently from the Service`,
          detail: `Service ${ns}/${svc.name} port ${port.name ? `"${port.name}"` : '(unnamed)'} ${port.port}/${port.protocol} has no EndpointSlice port of the same name (the slices offer ${offered}); kube-proxy matches ports by name, so the Service has no backends`,
          evidence: [
            `service ${ns}/${svc.name}: ports ${svc.ports.map((p) => `${p.name ? `"${p.name}"` : '(unnamed)'} ${p.port}/${p.protocol}`).join(', ')}`,
            ...slices.map(sliceEvidence),
          ],
          remediation: `kubectl -n ${ns} patch endpointslice ${slices[0]?.name} --type=json -p '${JSON.stringify([{ op: 'replace', path: '/ports/0/name', value: port.name ?? '' }])}'   # name the slice port like the Service port`,
          subjects,
        }),
      ];
    }
    if (ready === 0) {
      return [
        finding(check, {
          status: 'fail',
          title: `Manual endpoints of ${ns}/${svc.name} are all not ready`,
          detail: `Service ${ns}/${svc.name} has no selector and all ${total} manual endpoint addresses are marked not ready`,
          evidence: slices.map(sliceEvidence),
          remediation: `kubectl -n ${ns} edit endpointslice ${slices[0]?.name}   # set conditions.ready: true once the backends serve`,
          subjects,
        }),
      ];
    }
    return [
      passed(check, facts, () => ({
        detail: `no selector; ${ready} of ${total} manual endpoint addresses ready`,
        evidence: slices.map(sliceEvidence),
        subjects,
      })),
    ];
  },
};

export default check;
