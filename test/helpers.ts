// Temporary shim: the helpers live in test/support/ now; the integrator rewrites the remaining imports and deletes this file.
export * from './support/constants.js'; export * from './support/temp.js'; export * from './support/apps.js'; export * from './support/requests.js'; export * from './support/cookies.js';
