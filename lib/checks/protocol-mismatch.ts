import type { Check } from './types.js';
import { finding, passed, skipped } from './lib/finding.js';
import { declaredPorts } from './lib/ports.js';
import type { ContainerPortFact } from '../model/index.js';
import { describePort, kubectlPatch, portSubject, servicePods, serviceSubject } from './lib/service.js';

const check: Check = {
  code: 'protocol-mismatch',
  title: 'Service port protocol differs from the container port',
  passTitle: 'Service and container protocols match',
  layer: 'workload',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-the-service-defined-correctly',
  appliesTo: ['svc'],
  explains: ['endpoint-refused', 'clusterip-refused', 'endpoint-timeout', 'clusterip-timeout'],
  run(facts) {
    const scope = servicePods(facts);
    if ('skip' in scope) return [skipped(check, scope.skip)];
    const { svc, pods } = scope;

    const mismatches: { index: number; sentence: string; evidence: string; port: number; want: string }[] = [];
    let compared = 0;
    svc.ports.forEach((port, index) => {
      const targeted = (p: ContainerPortFact) => (typeof port.targetPort === 'string' ? p.name === port.targetPort : p.containerPort === port.targetPort);
      // Scan first without building the declared-port list: nearly every port agrees.
      let resolved = false;
      for (const pod of pods) {
        for (const container of pod.containers) {
          for (const p of container.ports) {
            if (!targeted(p)) continue;
            resolved = true;
            // A container may declare the same number for several protocols (DNS: 53/UDP and 53/TCP).
            if (p.protocol === port.protocol) {
              compared++;
              return;
            }
          }
        }
      }
      if (!resolved) return;
      compared++;
      const targets = pods.flatMap(declaredPorts).filter(targeted);
      const target = targets[0];
      if (!target) return;
      mismatches.push({
        index,
        port: port.port,
        want: target.protocol,
        sentence: `Service ${svc.namespace}/${svc.name} port ${port.port}/${port.protocol} targets container port ${target.name ?? target.containerPort} which is ${target.protocol} — traffic arrives over the wrong protocol`,
        evidence: `service port ${describePort(port)}; container ${target.container} declares ${target.name ? `${target.name}:` : ''}${target.containerPort}/${target.protocol}`,
      });
    });
    if (compared === 0) return [skipped(check, 'no service port resolves to a declared container port (see target-port-mismatch)')];
    if (mismatches.length === 0) {
      return [passed(check, facts, () => ({ detail: `protocols agree on ${compared} resolved ports`, subjects: [serviceSubject(svc)] }))];
    }
    const first = mismatches[0] as (typeof mismatches)[number];
    return [
      finding(check, {
        status: 'fail',
        title: `Protocol mismatch on ${svc.namespace}/${svc.name} port ${first.port}`,
        detail: mismatches.map((m) => m.sentence).join('\n'),
        evidence: mismatches.map((m) => m.evidence),
        remediation: mismatches
          .map((m) => kubectlPatch(svc.namespace, `svc ${svc.name}`, [{ op: 'replace', path: `/spec/ports/${m.index}/protocol`, value: m.want }], 'json'))
          .join('\n'),
        subjects: [serviceSubject(svc), ...mismatches.map((m) => portSubject(svc, m.port))],
      }),
    ];
  },
};

export default check;
