/**
 * The API's user-id rule (`USER_ID_PATTERN` in @urna/domain), copied so the pages do not bundle
 * zod with the domain package; web/test/ids.unit.test.ts keeps the two equal.
 */
export const USER_ID = /^[A-Za-z0-9._:@|+=-]{1,128}$/;
