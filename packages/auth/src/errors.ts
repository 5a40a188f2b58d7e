import { UrnaError } from '@urna/domain';

export const AuthErrors = {
  missing: () => new UrnaError('AUTH_REQUIRED', 'send "Authorization: Bearer <token>"', { status: 401 }),
  invalid: (reason: string, cause?: unknown) => new UrnaError('INVALID_TOKEN', `token rejected: ${reason}`, { status: 401, cause }),
  forbidden: (role: string) => new UrnaError('FORBIDDEN', `this action needs the ${role} role`, { status: 403 }),
} as const;
