import type { FastifyInstance } from 'fastify';
import { internalsOf } from './internals.js';

/**
 * Counts, from now on, the dummy password verifications (the hashing an unknown email or a
 * password-less user still pays, so timing does not tell accounts apart) of the app's service:
 * its `PasswordContext.verifyDummy` is wrapped on this instance. Returns the count so far.
 */
export function countDummyVerifications(app: FastifyInstance): () => number {
  const passwords = internalsOf(app).auth.passwords;
  const verifyDummy = passwords.verifyDummy.bind(passwords);
  let count = 0;
  passwords.verifyDummy = async (...args: Parameters<typeof verifyDummy>) => {
    count += 1;
    return verifyDummy(...args);
  };
  return () => count;
}
