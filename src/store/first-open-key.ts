/** Set once the app's first open in a profile has been handled (first-open.ts); its own module, so the e2e tests can set it without importing the stores. */
export const FIRST_OPEN_KEY = 'abft-studio-first-open';
