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
