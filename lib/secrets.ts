// Secrets come from the environment when set (local runs, tests), else from an SSM SecureString
// named by `<NAME>_PARAM` (deployed Lambdas): never inline in the template. Powertools caches the
// value for the warm container, so only a cold start pays the SSM round trip.

type Env = Record<string, string | undefined>;

const CACHE_SECONDS = 300;

export class MissingSecretError extends Error {
  constructor(name: string) {
    super(`${name} is required (set ${name}, or ${name}_PARAM to the name of an SSM SecureString parameter)`);
    this.name = 'MissingSecretError';
  }
}

export async function resolveSecret(name: string, env: Env = process.env): Promise<string> {
  const direct = env[name];
  if (direct) return direct;
  const parameterName = env[`${name}_PARAM`];
  if (!parameterName) throw new MissingSecretError(name);
  // Loaded on demand so handlers configured with plain values never load the SSM client.
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  const value = await getParameter(parameterName, { decrypt: true, maxAge: CACHE_SECONDS });
  if (!value) throw new Error(`SSM parameter ${parameterName} (for ${name}) is empty`);
  return value;
}
