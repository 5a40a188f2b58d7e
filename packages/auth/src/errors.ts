import { UrnaError } from '@urna/domain';

export const AuthErrors = {
  missing: () => new UrnaError('AUTH_REQUIRED', 'send "Authorization: Bearer <token>"'),
  invalid: (reason: string, cause?: unknown) => new UrnaError('INVALID_TOKEN', `token rejected: ${reason}`, { cause }),
  forbidden: (role: string) => new UrnaError('FORBIDDEN', `this action needs the ${role} role`),
} as const;
