export type Role = 'voter' | 'admin';
export interface Principal {
  readonly userId: string;
  readonly role: Role;
}
export const isRole = (value: unknown): value is Role => value === 'voter' || value === 'admin';
