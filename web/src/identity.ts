import { api, ApiError } from './api.ts';

/**
 * The sign-in seam. In the embedded default the built-in dev issuer signs a token for any
 * name typed in (`mode: dev`). In production the deployment's OpenID Connect provider signs the
 * ID token (`mode: oidc`): plug its redirect flow into `oidcSignIn` below. Either way the ID
 * token is exchanged for a short-lived urna voting token used on the vote path.
 */
export interface Session {
  readonly userId: string;
  readonly role: 'voter' | 'admin';
  readonly idToken: string;
  votingToken?: string;
  votingTokenExpiresAt?: number;
}

export interface AuthConfig {
  readonly mode: 'dev' | 'oidc';
  readonly votingTokens: boolean;
}

const KEY = 'urna.session';

export const authConfig = (): Promise<AuthConfig> => api<AuthConfig>('GET', '/v1/auth/config');

export function currentSession(role: Session['role']): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(`${KEY}.${role}`) ?? 'null') as Session | null;
    return session ?? undefined;
  } catch {
    return undefined;
  }
}

function save(session: Session): Session {
  localStorage.setItem(`${KEY}.${session.role}`, JSON.stringify(session));
  return session;
}

export function signOut(role: Session['role']): void {
  localStorage.removeItem(`${KEY}.${role}`);
}

/** Dev mode: the stand-in identity provider signs a token for this name. */
export async function devSignIn(userId: string, role: Session['role']): Promise<Session> {
  const { token } = await api<{ token: string }>('POST', '/v1/dev/token', { body: { userId, role } });
  return save({ userId, role, idToken: token });
}

/** Production: redirect to the OIDC provider and come back with its ID token. Not wired yet. */
export function oidcSignIn(): never {
  throw new ApiError(501, 'OIDC_NOT_CONFIGURED', 'OpenID Connect sign-in is not configured on this deployment');
}

/** The token for the vote path: a cached voting token, renewed from the ID token when close to expiry. */
export async function votingToken(session: Session, config: AuthConfig): Promise<string> {
  if (!config.votingTokens) return session.idToken;
  if (session.votingToken !== undefined && (session.votingTokenExpiresAt ?? 0) > Date.now() + 30_000) return session.votingToken;
  const { token, expiresIn } = await api<{ token: string; expiresIn: number }>('POST', '/v1/auth/voting-token', { token: session.idToken });
  session.votingToken = token;
  session.votingTokenExpiresAt = Date.now() + expiresIn * 1000;
  save(session);
  return token;
}
