/** A user as the domain sees it; `hashedPassword` never leaves the process. */
export interface User {
  id: number;
  email: string;
  hashedPassword: string;
  isActive: boolean;
  isSuperuser: boolean;
  isVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The JSON every route answers with (fastapi-users' `UserRead`). */
export interface PublicUser {
  id: number;
  email: string;
  is_active: boolean;
  is_superuser: boolean;
  is_verified: boolean;
}

/** The only way a user becomes JSON, so a hash cannot leak by a spread or a forgotten field. */
export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    email: user.email,
    is_active: user.isActive,
    is_superuser: user.isSuperuser,
    is_verified: user.isVerified,
  };
}

/**
 * The `hashed_password` of a user who has no password (created by an identity provider): no
 * scheme produces it, so it never verifies — as Django's and passlib's unusable-password marker
 * `!`. The user may set a password through the reset flow.
 */
export const UNUSABLE_PASSWORD = '!';

/** False for a user created by an identity provider who has not set a password yet. */
export function hasUsablePassword(user: User): boolean {
  return !user.hashedPassword.startsWith(UNUSABLE_PASSWORD);
}
