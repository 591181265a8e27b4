/**
 * Type test of `decoratorName` beside @fastify/jwt (docs/library.md, "Beside @fastify/jwt"): our
 * user declared under `request.account`, `request.user` left with @fastify/jwt's type. A program of
 * its own (./tsconfig.json, run by `npm run typecheck`): the module augmentation below would rename
 * the decorator for every other type test too.
 */
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import { fastifyUsers, type PublicUser } from '../../../src/index.js';

declare module '../../../src/index.js' {
  interface FastifyUsersTypes {
    decoratorName: 'account';
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: { sub: string; scope: string[] };
  }
}

/** True only when `A` and `B` are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

export async function besideJwt(): Promise<void> {
  const app = Fastify();
  await app.register(fastifyJwt, { secret: 'a-secret-for-the-types-only' });
  await app.register(fastifyUsers, { databaseUrl: 'sqlite::memory:', decoratorName: 'account' });
  // @ts-expect-error -- the name is a string
  await app.register(fastifyUsers, { databaseUrl: 'sqlite::memory:', decoratorName: 42 });

  app.get('/me', { preHandler: app.authenticate }, async (request) => {
    expectType<Equal<typeof request.account, PublicUser>>();
    // request.user is @fastify/jwt's, not ours.
    expectType<Equal<typeof request.user, { sub: string; scope: string[] }>>();
    // @ts-expect-error -- our fields are not on @fastify/jwt's user
    void request.user.email;
    // @ts-expect-error -- a misspelt field of ours
    void request.account.emial;
    return { email: request.account.email, subject: request.user.sub };
  });
}
