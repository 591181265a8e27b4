// Temporary shim: the helpers live in test/support/ now; the integrator rewrites the remaining imports and deletes this file.
export * from './support/totp.js';
