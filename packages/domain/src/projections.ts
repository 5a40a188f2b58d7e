/** Consumer group of each projection on the log: each projection acknowledges on its own. */
export const PROJECTION_GROUPS = { live: 'live-tally', store: 'vote-store' } as const;
/** The transparency projection's consumer group (it runs only where transparency keys are configured). */
export const TRANSPARENCY_GROUP = 'transparency';
