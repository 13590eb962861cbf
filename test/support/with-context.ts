/**
 * Jest's `expect` takes no message (Vitest's took a second argument). Wrap an assertion to put what it was about
 * (a check code, a file, a query) at the top of the failure, where a loop's otherwise identical failures differ.
 */
export function withContext(context: string, assertion: () => void): void {
  try {
    assertion();
  } catch (error) {
    if (error instanceof Error) {
      // Jest prints `stack`, which starts with the message; read it before the message changes (V8
      // formats it on first read), then put the context in both.
      const { stack, message } = error;
      error.message = `${context}\n\n${message}`;
      if (stack !== undefined) error.stack = stack.replace(message, error.message);
    }
    throw error;
  }
}
