import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CSRFTokens } from '../csrf.js';
import { CSRFTokenResponse } from '../schemas.js';

/**
 * `GET /csrf`: the CSRF token as JSON, for a front end on another host of the same site
 * (`app.example.com` calling `auth.example.com`), which the browser lets send our cookies but not
 * read our `csrftoken` cookie (document.cookie shows only the page's own host). The answer is the
 * cookie's token when it is valid for the session, else a fresh one that the response also sets
 * as the cookie. Only origins in `corsOrigins` can read it: CORS gives no other origin
 * `Access-Control-Allow-Origin` (src/http/cors.ts), and a token is only worth anything with the
 * session cookie it is bound to (OWASP CSRF Prevention Cheat Sheet, "Signed Double-Submit
 * Cookie"). See docs/clients.md.
 */
export const csrfRoutes: FastifyPluginAsyncTypebox<{ csrf: CSRFTokens }> = async (app, { csrf }) => {
  app.get(
    '/csrf',
    {
      schema: {
        tags: ['auth'],
        operationId: 'getCSRFToken',
        summary: 'The CSRF token for x-csrftoken, for front ends that cannot read the cookie',
        security: [],
        response: { 200: CSRFTokenResponse },
      },
    },
    async (request) => ({ csrf_token: csrf.tokenFor(request) }),
  );
};
