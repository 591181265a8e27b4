import { fileURLToPath } from 'node:url';

/**
 * Cheap argon2id parameters for tests: the same code path at a fraction of the cost. One test
 * (test/core/password.test.ts) runs the real OWASP parameters.
 */
export const FAST_ARGON2 = { memoryCost: 256, timeCost: 1, parallelism: 1 };
export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';
export const PASSWORD = 'correct horse battery staple';

/** The project root (tests that start a process run it from there, as `npm start` does). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
