import { z } from 'zod';
import { ConfigError } from '@urna/domain';

export { ConfigError };

/**
 * Validates environment variables against a zod object schema whose keys are the variable
 * names, so every error names the bad key (e.g. `URNA_PARTITIONS: expected a number`).
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
}

/** Exit status of a service whose configuration cannot run (sysexits' EX_CONFIG): its supervisor does not restart it. */
export const EXIT_CONFIG = 78;

/**
 * A service's first statement: a ConfigError thrown while it starts ends the process with
 * EXIT_CONFIG and the message naming every bad key, instead of a stack trace and exit 1 that a
 * supervisor restarts in a loop. Any other uncaught error keeps Node's behaviour (printed, exit 1).
 */
export function exitOnConfigError(): void {
  process.on('uncaughtException', (error) => {
    if (error instanceof ConfigError || (error as Error | undefined)?.name === 'ConfigError') {
      console.error(error.message);
      process.exit(EXIT_CONFIG);
    }
    console.error(error);
    process.exit(1);
  });
}
