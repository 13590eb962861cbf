import { plural, type ContainerFact, type PodFact } from '../../model/index.js';
// Why a pod is not serving: the reasons "Debug Services" and "Debug Pods" walk through, read from
// the pod's phase, conditions and container states.

export type PodProblemKind =
  'terminating' | 'unschedulable' | 'image-pull' | 'config-error' | 'crash-loop' | 'readiness-probe' | 'readiness-gate' | 'not-started' | 'failed' | 'restarting';

export interface PodProblem {
  kind: PodProblemKind;
  /** Short human reason: "CrashLoopBackOff (last exit: OOMKilled, 12 restarts)". */
  reason: string;
  /** The pod still counts as a ready endpoint (only frequent restarts). */
  serving: boolean;
  container?: string;
}

/** Restarts at or above this count are worth a warning even when the pod is ready now. */
const FREQUENT_RESTARTS = 5;

function condition(pod: PodFact, type: string) {
  return pod.conditions.find((c) => c.type === type);
}

function waiting(pod: PodFact, reasons: readonly string[]): ContainerFact | undefined {
  return pod.containers.find((c) => c.state === 'waiting' && c.reason !== undefined && reasons.includes(c.reason));
}

function withMessage(text: string, message: string | undefined): string {
  return message ? `${text}: ${message}` : text;
}

export function diagnosePod(pod: PodFact): PodProblem | undefined {
  if (pod.deletionTimestamp) {
    return { kind: 'terminating', reason: `terminating since ${pod.deletionTimestamp}`, serving: false };
  }
  const scheduled = condition(pod, 'PodScheduled');
  if (pod.phase === 'Pending' && scheduled?.status === 'False') {
    return { kind: 'unschedulable', reason: withMessage(scheduled.reason ?? 'Unschedulable', scheduled.message), serving: false };
  }
  const pull = waiting(pod, ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName']);
  if (pull) {
    return { kind: 'image-pull', reason: withMessage(pull.reason as string, pull.message), serving: false, container: pull.name };
  }
  const config = waiting(pod, ['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
  if (config) {
    return { kind: 'config-error', reason: withMessage(config.reason as string, config.message), serving: false, container: config.name };
  }
  const crashing = waiting(pod, ['CrashLoopBackOff']) ?? pod.containers.find((c) => !c.ready && c.state === 'terminated' && c.reason !== 'Completed');
  if (crashing) {
    const last = crashing.lastTerminationReason ?? (crashing.state === 'terminated' ? crashing.reason : undefined);
    const lastText = last ? `last exit: ${last}, ` : '';
    return {
      kind: 'crash-loop',
      reason: `${crashing.reason ?? 'CrashLoopBackOff'} (${lastText}${plural(crashing.restartCount, 'restart')})`,
      serving: false,
      container: crashing.name,
    };
  }
  if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
    return { kind: 'failed', reason: `pod phase ${pod.phase}`, serving: false };
  }
  if (!pod.ready) {
    const containersReady = condition(pod, 'ContainersReady');
    const unready = pod.containers.find((c) => c.state === 'running' && !c.ready);
    if (pod.phase === 'Running' && unready && containersReady?.status !== 'True') {
      const probe = unready.hasReadinessProbe === false ? 'container running but not ready' : 'readiness probe failing';
      return { kind: 'readiness-probe', reason: `${probe} (container ${unready.name})`, serving: false, container: unready.name };
    }
    const gate = pod.conditions.find((c) => c.status !== 'True' && !['Ready', 'ContainersReady', 'PodScheduled', 'Initialized'].includes(c.type));
    if (containersReady?.status === 'True' && gate) {
      return { kind: 'readiness-gate', reason: withMessage(`readiness gate ${gate.type} is ${gate.status}`, gate.message), serving: false };
    }
    const creating = pod.containers.find((c) => c.state === 'waiting');
    const why = creating?.reason ?? condition(pod, 'Ready')?.reason ?? pod.phase;
    return { kind: 'not-started', reason: withMessage(`not ready (${why})`, creating?.message), serving: false, container: creating?.name };
  }
  const restarting = pod.containers.find((c) => c.restartCount >= FREQUENT_RESTARTS);
  if (restarting) {
    const last = restarting.lastTerminationReason ? `, last exit: ${restarting.lastTerminationReason}` : '';
    return {
      kind: 'restarting',
      reason: `container ${restarting.name} restarted ${restarting.restartCount} times${last}`,
      serving: true,
      container: restarting.name,
    };
  }
  return undefined;
}

/** The one command that shows a person why, for this kind of problem. */
export function podProblemCommand(pod: PodFact, problem: PodProblem, workload: string | undefined): string {
  const ns = pod.namespace;
  const container = problem.container ? ` -c ${problem.container}` : '';
  switch (problem.kind) {
    case 'crash-loop':
    case 'restarting':
      if (/OOMKilled/.test(problem.reason) && workload) {
        return `kubectl -n ${ns} edit ${workload}   # container ${problem.container ?? ''} was OOMKilled: raise resources.limits.memory`;
      }
      return `kubectl -n ${ns} logs ${pod.name}${container} --previous`;
    case 'image-pull':
      return `kubectl -n ${ns} describe pod ${pod.name}   # check the image name/tag and imagePullSecrets`;
    case 'config-error':
      return `kubectl -n ${ns} describe pod ${pod.name}   # create the missing ConfigMap/Secret named in the message`;
    case 'unschedulable':
      return `kubectl -n ${ns} describe pod ${pod.name}   # free capacity, or relax nodeSelector/affinity/tolerations`;
    case 'readiness-probe':
      return `kubectl -n ${ns} describe pod ${pod.name}   # see "Readiness probe failed" events; fix the app or the probe path/port`;
    case 'terminating':
      return `kubectl -n ${ns} get pod ${pod.name} -o jsonpath='{.metadata.finalizers}'   # a stuck finalizer or an unreachable node keeps it terminating`;
    default:
      return `kubectl -n ${ns} describe pod ${pod.name}`;
  }
}
