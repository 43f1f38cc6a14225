/** Notifications of phase changes (webhooks): which changes, what they say, how they are signed, where they may go. */
export * from './message.js';
export * from './policy.js';
