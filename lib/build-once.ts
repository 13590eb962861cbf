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
