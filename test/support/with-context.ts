/**
 * Jest's `expect` takes no message (Vitest's took a second argument). Wrap an assertion to put what it was about
 * (a check code, a file, a query) at the top of the failure, where a loop's otherwise identical failures differ.
 */
export function withContext(context: string, assertion: () => void): void {
  try {
    assertion();
  } catch (error) {
    if (error instanceof Error) {
      // Jest prints `stack` (which starts with the message), so both carry the context.
      error.message = `${context}\n\n${error.message}`;
      if (error.stack !== undefined) error.stack = `${context}\n\n${error.stack}`;
    }
    throw error;
  }
}
