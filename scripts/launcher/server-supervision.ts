import { backoffDelay, delay } from '@urna/domain';

/** An embedded server the launcher can keep up: told of a crash, started again on the same port and data. */
export interface RestartableServer {
  onCrash(listener: (detail: string) => void): void;
  restart(): Promise<void>;
}

/**
 * npm start keeps its embedded servers (redis-server, DynamoDB Local) up as it keeps its
 * services up: one that dies is started again on the same port and data dir, with back-off,
 * each step one line on the console. Clients reconnect by themselves; on the Redis log no
 * acknowledged vote is lost meanwhile (AOF `always`), votes get 503 until it is back.
 */
export function superviseServer(name: string, server: RestartableServer, log: (line: string) => void, isStopped: () => boolean): void {
  let restarting = false;
  server.onCrash((detail) => {
    if (restarting || isStopped()) return;
    restarting = true;
    log(`[${name}] exited (${detail}); restarting`);
    void (async () => {
      for (let attempt = 1; !isStopped(); attempt++) {
        try {
          await server.restart();
          log(`[${name}] restarted`);
          break;
        } catch (error) {
          log(`[${name}] restart failed (${String(error).split('\n')[0]}); retrying`);
          await delay(backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 }));
        }
      }
      restarting = false;
    })();
  });
}
