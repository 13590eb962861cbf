import type { ContainerPortFact, PodFact, ServicePortFact } from '../../model/index.js';

export interface DeclaredPort extends ContainerPortFact {
  container: string;
}

export function declaredPorts(pod: PodFact): DeclaredPort[] {
  return pod.containers.flatMap((c) => c.ports.map((p) => ({ ...p, container: c.name })));
}

/**
 * Whether `resolveTargetPort` finds a port, without building the declared-port list: a sweep
 * asks this for every selected pod of every Service port, and nearly always the answer is yes.
 */
export function resolvesTargetPort(pod: PodFact, port: ServicePortFact): boolean {
  const target = port.targetPort;
  for (const container of pod.containers) {
    for (const p of container.ports) {
      if (typeof target === 'string' ? p.name === target : p.containerPort === target) return true;
    }
  }
  return false;
}

/** The container port a service port lands on in `pod`, as the endpoints controller resolves it. */
export function resolveTargetPort(pod: PodFact, port: ServicePortFact): DeclaredPort | undefined {
  const ports = declaredPorts(pod);
  if (typeof port.targetPort === 'string') return ports.find((p) => p.name === port.targetPort);
  return ports.find((p) => p.containerPort === port.targetPort && p.protocol === port.protocol) ?? ports.find((p) => p.containerPort === port.targetPort);
}

export function formatDeclared(ports: DeclaredPort[]): string {
  return ports.length ? ports.map((p) => `${p.name ? `${p.name}:` : ''}${p.containerPort}/${p.protocol} (${p.container})`).join(', ') : '<none declared>';
}

/** JSON-patch path of a service port: merge patches would replace the whole ports list. */
export function targetPortPatch(index: number, value: number | string): unknown[] {
  return [{ op: 'replace', path: `/spec/ports/${index}/targetPort`, value }];
}
