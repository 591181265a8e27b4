import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:<port>`: `/login/oauth/authorize`, `/login/oauth/access_token`, `/api/v3/user`, `/api/v3/user/emails`. */
  origin: string;
  /** The user who "signs in" at the next authorization. */
  user: { id: number; login: string; emails: GitHubEmail[] };
  /** Token requests received (their form fields), to check what the client sent. */
  tokenRequests: Record<string, string>[];
  close: () => Promise<void>;
}

/**
 * A local stand-in for GitHub's OAuth App endpoints, as GitHub documents them ("Authorizing OAuth
 * apps"; REST "Get the authenticated user", "List email addresses"): the authorization endpoint
 * redirects back at once with a code bound to the PKCE challenge; the token endpoint checks the
 * client secret, the code and the verifier, and answers JSON; the API wants the bearer token.
 */
export async function startGitHubStandIn(options: { clientId: string; clientSecret: string }): Promise<GitHubStandIn> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Set<string>();
  const standIn: GitHubStandIn = {
    origin,
    user: { id: 583231, login: 'octocat', emails: [] },
    tokenRequests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/login/oauth/authorize') {
      const p = url.searchParams;
      if (p.get('client_id') !== options.clientId || p.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'bad request' });
      const code = randomBytes(10).toString('hex');
      codes.set(code, { challenge: p.get('code_challenge')!, redirectUri: p.get('redirect_uri')! });
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        standIn.tokenRequests.push(form);
        const issued = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const challenge = createHash('sha256')
          .update(form.code_verifier ?? '')
          .digest('base64url');
        // GitHub answers errors with 200 and an `error` field.
        if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret)
          return json(res, 200, { error: 'incorrect_client_credentials' });
        if (!issued || issued.challenge !== challenge || issued.redirectUri !== form.redirect_uri) return json(res, 200, { error: 'bad_verification_code' });
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.add(token);
        return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return json(res, 401, { message: 'Requires authentication' });
    if (url.pathname === '/api/v3/user') return json(res, 200, { id: standIn.user.id, login: standIn.user.login, email: null });
    if (url.pathname === '/api/v3/user/emails')
      return json(
        res,
        200,
        standIn.user.emails.map((e) => ({ ...e, visibility: null })),
      );
    return json(res, 404, { message: 'Not Found' });
  });
  return standIn;
}
