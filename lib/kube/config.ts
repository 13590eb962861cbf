import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface LoadKubeConfigOptions {
  /** Explicit kubeconfig file; wins over everything else. */
  kubeconfigPath?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Root prepended to the pod's service-account paths (client-node's pathPrefix); tests use a temp dir. */
  serviceAccountRoot?: string;
  /** Where $KUBECONFIG and $HOME are read (the CLI's own environment); process.env by default. */
  env?: Record<string, string | undefined>;
}

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Find cluster credentials the way kubectl users expect: an explicit file, else in-cluster
 * service-account credentials when running in a pod, else $KUBECONFIG, else ~/.kube/config.
 * client-node's loadFromDefault would silently fall back to http://localhost:8080; we refuse
 * instead, so a missing config reads as a clear error rather than a connection refused later.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  // client-node's in-cluster loader reads process.env itself, so we read the same source.
  const env = process.env;
  const userEnv = opts.env ?? env;
  const kc = new KubeConfig();

  const fromFiles = (paths: string[], origin: string): void => {
    const missing = paths.filter((p) => !existsSync(p));
    if (missing.length === paths.length) {
      throw new KubeConfigError(`kubeconfig not found: ${missing.join(', ')} (from ${origin})`);
    }
    const present = paths.filter((p) => existsSync(p));
    try {
      kc.loadFromFile(present[0]!);
      for (const extra of present.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(extra);
        kc.mergeConfig(more, true);
      }
    } catch (e) {
      throw new KubeConfigError(`cannot read kubeconfig ${present.join(', ')}: ${(e as Error).message}`);
    }
  };

  const root = opts.serviceAccountRoot ?? '';
  if (opts.kubeconfigPath) {
    fromFiles([opts.kubeconfigPath], '--kubeconfig');
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) {
    if (!env.KUBERNETES_SERVICE_PORT) {
      throw new KubeConfigError('running in a pod but KUBERNETES_SERVICE_PORT is not set');
    }
    kc.loadFromCluster(root);
  } else if (userEnv.KUBECONFIG) {
    fromFiles(userEnv.KUBECONFIG.split(delimiter).filter(Boolean), '$KUBECONFIG');
  } else {
    const home = userEnv.HOME ?? homedir();
    const path = join(home, '.kube', 'config');
    if (!existsSync(path)) {
      throw new KubeConfigError(`no Kubernetes configuration: not running in a pod, KUBECONFIG is not set and ${path} does not exist (pass --kubeconfig or set KUBECONFIG)`);
    }
    fromFiles([path], '~/.kube/config');
  }

  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(`context "${opts.context}" is not in the kubeconfig (known: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentContext()) {
    throw new KubeConfigError('the kubeconfig has no current-context; pass --context');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(`context "${kc.getCurrentContext()}" names a cluster that is not in the kubeconfig`);
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeConfigError(`cluster "${cluster.name}" has server "${cluster.server}", which is not an http(s) URL`);
  }
  return kc;
}
