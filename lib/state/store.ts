import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { compactState, emptyState, parseState, type State } from './state.js';

/**
 * Durable state with optimistic concurrency: `update` reads, applies `mutate` to a private copy,
 * compacts, and writes only if nobody wrote in between — otherwise it re-reads and re-applies,
 * so `mutate` must be a pure function of the state it is given.
 */
export interface StateStore {
  read(): Promise<State>;
  update(mutate: (state: State) => State | void): Promise<State>;
}

export class StateStoreError extends Error {
  override name = 'StateStoreError';
}

/** Applies a mutation the way every store does: on a copy, then compacted. */
export function applyMutation(current: State, mutate: (state: State) => State | void, now: Date): State {
  const draft = structuredClone(current);
  return compactState(mutate(draft) ?? draft, now);
}

/**
 * In-process store for runs without a cluster (CLI, local mode, tests). It keeps the serialised
 * form, so what works here also round-trips through the ConfigMap.
 */
export function createMemoryStateStore(opts: { initial?: State; now?: () => Date } = {}): StateStore {
  let stored = JSON.stringify(opts.initial ?? emptyState());
  const now = opts.now ?? (() => new Date());
  return {
    async read() {
      return parseState(stored).state;
    },
    async update(mutate) {
      const next = applyMutation(parseState(stored).state, mutate, now());
      stored = JSON.stringify(next);
      return parseState(stored).state;
    },
  };
}

export const STATE_KEY = 'state.json';

export interface ConfigMapStateStoreOptions {
  namespace: string;
  name: string;
  /**
   * Create the ConfigMap on the first write when it is missing. Off in-cluster, where the Helm
   * chart creates it and RBAC grants only get/update on that one name; on for local runs.
   */
  createIfMissing?: boolean;
  /** Write attempts before giving up on a ConfigMap that keeps changing under us. */
  maxAttempts?: number;
  now?: () => Date;
  /** Told when the stored document was unreadable and state restarts empty. */
  onReset?: (problem: string) => void;
}

/**
 * State in one ConfigMap (key `state.json`), with optimistic concurrency: each write carries the
 * resourceVersion it read; a 409 Conflict means another writer won, so the mutation is re-applied
 * to fresh state after a short jittered pause.
 */
export function createConfigMapStateStore(kc: KubeConfig, opts: ConfigMapStateStoreOptions): StateStore {
  const api = kc.makeApiClient(CoreV1Api);
  const { namespace, name } = opts;
  const where = `ConfigMap ${namespace}/${name}`;
  const maxAttempts = opts.maxAttempts ?? 20;
  const now = opts.now ?? (() => new Date());

  const load = async (): Promise<V1ConfigMap | undefined> => {
    try {
      return await api.readNamespacedConfigMap({ name, namespace });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storeError(error, 'read', where);
    }
  };
  const stateOf = (configMap: V1ConfigMap | undefined): State => {
    const { state, problem } = parseState(configMap?.data?.[STATE_KEY]);
    if (problem) opts.onReset?.(`${where}: ${problem}`);
    return state;
  };

  return {
    async read() {
      return stateOf(await load());
    },
    async update(mutate) {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const configMap = await load();
        if (!configMap && !opts.createIfMissing) {
          throw new StateStoreError(`${where} not found: the Helm chart creates it (or enable createIfMissing for local runs)`);
        }
        const next = applyMutation(stateOf(configMap), mutate, now());
        const data = { ...configMap?.data, [STATE_KEY]: JSON.stringify(next) };
        try {
          if (configMap) {
            // metadata.resourceVersion from the read makes the replace conditional.
            await api.replaceNamespacedConfigMap({ name, namespace, body: { ...configMap, data } });
          } else {
            await api.createNamespacedConfigMap({
              namespace,
              body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'netcheck' } }, data },
            });
          }
          return next;
        } catch (error) {
          if (statusOf(error) !== 409) throw storeError(error, configMap ? 'update' : 'create', where);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        }
      }
      throw new StateStoreError(`${where}: gave up after ${maxAttempts} conflicting concurrent updates`);
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

function storeError(error: unknown, verb: string, where: string): StateStoreError {
  const status = statusOf(error);
  if (status === 403) return new StateStoreError(`${where}: forbidden to ${verb} it; the worker's Role must allow get and update on this ConfigMap`);
  return new StateStoreError(`${where}: could not ${verb} it: ${status ? `HTTP ${status}` : (error as Error).message}`);
}
