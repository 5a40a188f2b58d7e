/** Consumer group of each projection on the log: each projection acknowledges on its own. */
export const PROJECTION_GROUPS = { live: 'live-tally', store: 'vote-store' } as const;
