/**
 * Lambda entry points build their dependencies on the first request and keep them for the warm
 * container. A failed build (bad configuration, SSM outage) is not cached: the next request tries
 * again instead of the container failing until it is recycled.
 */
export function buildOnce<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

/**
 * The one way every Lambda handler is built: dependencies once per warm container (from the
 * environment), then each event goes to the built function. `onBuildError` answers an event when
 * the configuration is broken (an HTTP handler says 500 "server misconfigured" instead of a bare
 * Lambda error); without it the error is thrown, so asynchronous invocations are retried.
 */
export function lambdaEntry<Event, Result, Rest extends unknown[] = []>(
  build: () => Promise<(event: Event, ...rest: Rest) => Promise<Result>>,
  onBuildError?: (error: Error) => Result,
): (event: Event, ...rest: Rest) => Promise<Result> {
  const ready = buildOnce(build);
  return async (event, ...rest) => {
    let handle: (event: Event, ...rest: Rest) => Promise<Result>;
    try {
      handle = await ready();
    } catch (error) {
      if (!onBuildError) throw error;
      console.error(JSON.stringify({ level: 'ERROR', message: 'handler configuration invalid', error: String(error) }));
      return onBuildError(error as Error);
    }
    return handle(event, ...rest);
  };
}
