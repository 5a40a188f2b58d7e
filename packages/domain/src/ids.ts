import { z } from 'zod';

/** Election and option ids appear in Redis keys, DynamoDB keys and URLs: keep them plain. */
export const ElectionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 _ -');
export const OptionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 _ -');

/**
 * A user id is the token's `sub`. It is used as a Redis hash field and as the prefix of a
 * DynamoDB sort key followed by `#`, so `#` and control characters are not allowed.
 * Covers the subjects real IdPs issue (`auth0|abc`, emails, UUIDs).
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@|+=-]{1,128}$/;
export const UserId = z.string().regex(USER_ID_PATTERN);

export const isValidUserId = (value: string): boolean => USER_ID_PATTERN.test(value);
