import { expect, it } from 'vitest';
import { USER_ID_PATTERN } from '@urna/domain';
import { USER_ID } from '../src/ids.ts';

it('the pages check user ids with the same pattern as the API', () => {
  expect(USER_ID.source).toBe(USER_ID_PATTERN.source);
});
