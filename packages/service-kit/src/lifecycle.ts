export interface ShutdownOptions {
  /** Where progress is reported. @defaultValue console.error */
  readonly log?: (message: string) => void;
  /**
   * A close that has not finished by then is abandoned and the process exits with 1: a hung
   * close (a connection that never drains, a broker that never answers) must not hang the
   * process, which the supervisor would otherwise have to SIGKILL.
   * @defaultValue 10 s
   */
  readonly deadlineMs?: number;
}

/**
 * Runs `close` once on SIGTERM/SIGINT, then exits. A second signal exits at once, and so does
 * a close that outlives the deadline. Services use it so that a supervisor's stop finishes
 * in-flight work (acks, flushes).
 */
export function onShutdown(close: () => Promise<void>, options: ShutdownOptions | ((message: string) => void) = {}): void {
  const { log = console.error, deadlineMs = 10_000 } = typeof options === 'function' ? { log: options } : options;
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal}: shutting down`);
    setTimeout(() => {
      log(`shutdown still not done after ${deadlineMs} ms: exiting`);
      process.exit(1);
    }, deadlineMs).unref();
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
