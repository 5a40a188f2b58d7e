/**
 * Runs `close` once on SIGTERM/SIGINT, then exits. A second signal exits at once.
 * Services use it so that a supervisor's stop finishes in-flight work (acks, flushes).
 */
export function onShutdown(close: () => Promise<void>, log: (message: string) => void = console.error): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal}: shutting down`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
