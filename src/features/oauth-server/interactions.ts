import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../../core/audit.js';
import type { AuthService } from '../../core/auth-service.js';
import type { Store } from '../../core/store.js';
import { digestToken } from '../../core/token.js';
import { auditEvent } from '../../http/audit.js';
import { FORM_MEDIA_TYPE, parseForm } from '../../http/validation.js';
import { FIRST_PARTY } from './engine.js';
import { errorPage, escapeHTML, htmlPage, pagePolicy } from './pages.js';
import { scopeInWords } from './scope-words.js';
import { asIssuer, carryReplyHeaders } from './mount.js';

export interface InteractionRoutesOptions {
  engine: Provider;
  store: Store;
  service: AuthService;
  authCookieName: string;
  issuer: string;
  basePath: string;
  /** The web page (a path on this origin) whose `#/login?next=…` signs a visitor in and comes back. */
  loginPage: string;
  /** `SECRET_KEY`: the consent form's token is an HMAC under a key derived from it. */
  secretKey: string;
  /** Security events (docs/audit.md): a consent given is one. */
  audit: AuditLog;
}

/** Our first-party session as the interactions read it: who, how and when they signed in. */
interface SignedIn {
  userId: number;
  digest: string;
  amr: string[];
  /** When the session last proved a factor, epoch seconds (OpenID Connect Core §2 `auth_time`). */
  authTime: number;
}

/**
 * The sign-in and consent steps of an authorization request (the engine's "interactions"): a
 * visitor not signed in goes to the web page's sign-in and comes back; a signed-in user's session
 * finishes the login step with its `amr` and `auth_time`; first-party clients are granted what
 * they ask; third-party ones get a consent page (Allow / Deny).
 */
export const interactionRoutes: FastifyPluginAsync<InteractionRoutesOptions> = async (app, options) => {
  const { engine, store, basePath } = options;
  const consentKey = createHmac('sha256', options.secretKey).update('fastify-users oauth-server consent').digest();
  // The consent form posts a plain form: read it with the kernel's parser (duplicate and
  // prototype keys refused), for these routes only.
  app.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  async function signedIn(request: FastifyRequest): Promise<SignedIn | null> {
    const cookie = request.cookies?.[options.authCookieName];
    if (!cookie) return null;
    const digest = digestToken(cookie);
    const found = await store.findSession(digest, options.service.options.now());
    if (!found?.user.isActive) return null;
    return { userId: found.user.id, digest, amr: found.token.amr ?? [], authTime: Math.floor(found.token.authenticatedAt.getTime() / 1000) };
  }

  /** The form token: bound to the interaction and to the session that saw the page (OWASP CSRF CS, "Synchronizer token"). */
  const formToken = (uid: string, digest: string) => createHmac('sha256', consentKey).update(`${uid}\n${digest}`).digest('base64url');

  function refuse(reply: FastifyReply, status: number, error: string, description: string) {
    reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(errorPage(error, description));
  }

  // biome-ignore lint/suspicious/noExplicitAny: oidc-provider's interaction record
  async function detailsOf(request: FastifyRequest, reply: FastifyReply): Promise<any | null> {
    asIssuer(request.raw, options.issuer);
    try {
      return await engine.interactionDetails(request.raw, reply.raw);
    } catch {
      // Expired, unknown, or opened in another browser (the interaction cookie is missing).
      refuse(reply, 400, 'invalid_request', 'This sign-in request has expired or belongs to another browser; start again from the application.');
      return null;
    }
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>, merge: boolean) {
    asIssuer(request.raw, options.issuer);
    // The engine writes the redirect itself: the security headers set so far go with it.
    carryReplyHeaders(reply);
    reply.hijack();
    await engine.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
  }

  /** Grants what the request asks beyond the grant it may already have (first-party, or consent given). */
  // biome-ignore lint/suspicious/noExplicitAny: oidc-provider's interaction record
  async function grantAsked(details: any): Promise<string> {
    const { accountId } = details.session;
    const clientId = details.params.client_id as string;
    const grant = details.grantId ? await engine.Grant.find(details.grantId) : new engine.Grant({ accountId, clientId });
    if (!grant) throw new Error('grant not found');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    return grant.save();
  }

  const config = { browserProtections: false };
  const hide = { hide: true };

  app.get<{ Params: { uid: string } }>(`${basePath}/interaction/:uid`, { config, schema: hide }, async (request, reply) => {
    const details = await detailsOf(request, reply);
    if (!details) return reply;
    const session = await signedIn(request);
    const here = `${basePath}/interaction/${encodeURIComponent(details.uid)}`;
    if (details.prompt.name === 'login') {
      const reasons: string[] = details.prompt.reasons ?? [];
      const maxAge = Number(details.params.max_age ?? Number.NaN);
      // prompt=login asks for a sign-in made for this request (OpenID Connect Core §3.1.2.1): the
      // session present at its first visit here is stale; a new one (or one re-authenticated
      // since) is not. max_age: the sign-in is at most that old.
      const stale = details.result?.stale as { digest: string; authTime: number } | undefined;
      const renewed = session !== null && stale !== undefined && (session.digest !== stale.digest || session.authTime > stale.authTime);
      const fresh =
        session !== null &&
        (!reasons.includes('login_prompt') || renewed) &&
        (!Number.isFinite(maxAge) || Math.floor(Date.now() / 1000) - session.authTime <= maxAge);
      if (!fresh) {
        if (reasons.includes('login_prompt') && stale === undefined) {
          asIssuer(request.raw, options.issuer);
          await engine.interactionResult(request.raw, reply.raw, { stale: { digest: session?.digest ?? '', authTime: session?.authTime ?? 0 } });
        }
        const next = encodeURIComponent(here);
        return reply.redirect(`${options.loginPage}#/login?next=${next}${session ? '&fresh=1' : ''}`, 303);
      }
      await finish(request, reply, { login: { accountId: String(session.userId), amr: session.amr, ts: session.authTime, remember: false } }, false);
      return reply;
    }
    if (details.prompt.name === 'consent') {
      if (!session || String(session.userId) !== details.session?.accountId) {
        return refuse(reply, 403, 'login_required', 'Sign in again to answer this request.');
      }
      const client = await engine.Client.find(details.params.client_id);
      if (!client) return refuse(reply, 400, 'invalid_client', 'The application is no longer registered.');
      if ((client as unknown as Record<string, unknown>)[FIRST_PARTY] === true) {
        const grantId = await grantAsked(details);
        await finish(request, reply, { consent: { grantId } }, true);
        return reply;
      }
      const scopes = String(details.params.scope ?? '')
        .split(' ')
        .filter(Boolean);
      // A device authorization (RFC 8628) has no redirect URI: the tokens go to the device that asked.
      const redirectHost = details.params.redirect_uri === undefined ? null : hostOf(String(details.params.redirect_uri));
      return reply
        .header('cache-control', 'no-store')
        .header('content-security-policy', consentPolicy(String(details.params.redirect_uri ?? '')))
        .type('text/html; charset=utf-8')
        .send(
          consentPage({
            clientName: client.clientName ?? client.clientId,
            redirectHost,
            scopes,
            action: `${here}/consent`,
            token: formToken(details.uid, session.digest),
          }),
        );
    }
    return refuse(reply, 400, 'invalid_request', `Unsupported step ${details.prompt.name}.`);
  });

  app.post<{ Params: { uid: string }; Body: Record<string, string | string[]> }>(
    `${basePath}/interaction/:uid/consent`,
    { config, schema: hide },
    async (request, reply) => {
      const details = await detailsOf(request, reply);
      if (!details) return reply;
      const session = await signedIn(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const token = typeof body.token === 'string' ? body.token : '';
      const expected = session ? formToken(details.uid, session.digest) : '';
      if (!session || details.prompt.name !== 'consent' || !sameText(token, expected) || String(session.userId) !== details.session?.accountId) {
        return refuse(reply, 403, 'access_denied', 'This answer could not be accepted; start again from the application.');
      }
      if (body.decision === 'allow') {
        const grantId = await grantAsked(details);
        // The user's own decision, recorded with what it allowed (docs/audit.md); a first-party client's skipped consent is not one.
        const scopes = String(details.params.scope ?? '')
          .split(' ')
          .filter(Boolean);
        await auditEvent(
          options.audit,
          request,
          'oauth_consent.granted',
          { client_id: String(details.params.client_id), scopes },
          {
            actorUserId: session.userId,
            subjectUserId: session.userId,
          },
        );
        await finish(request, reply, { consent: { grantId } }, true);
        return reply;
      }
      // Deny (or anything else): the client hears access_denied (RFC 6749 §4.1.2.1).
      await finish(request, reply, { error: 'access_denied', error_description: 'The user denied the request' }, false);
      return reply;
    },
  );
};

/**
 * The page's policy with `form-action` widened to the client's redirect origin: browsers apply
 * `form-action` to the redirects that follow a form's submission (CSP Level 3 §6.4.1), and Allow
 * or Deny ends at the client.
 */
function consentPolicy(redirectUri: string): string {
  try {
    const url = new URL(redirectUri);
    // An origin only: a custom scheme (`com.example.app:`) is allowed as a scheme source.
    return pagePolicy([url.origin !== 'null' ? url.origin : url.protocol]);
  } catch {
    return pagePolicy();
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}

/**
 * The consent page: plain HTML, no script, labelled forms (WCAG 2.2: headings, a list, buttons
 * that say what they do). `redirectHost` is where the answer goes; null for a device, which gets
 * the tokens itself.
 */
export function consentPage(page: { clientName: string; redirectHost: string | null; scopes: string[]; action: string; token: string }): string {
  const name = escapeHTML(page.clientName);
  const items = page.scopes.map((scope) => `<li>${escapeHTML(scopeInWords(scope))}</li>`).join('');
  const form = (decision: string, label: string) =>
    `<form method="post" action="${escapeHTML(page.action)}"><input type="hidden" name="token" value="${escapeHTML(page.token)}"><input type="hidden" name="decision" value="${decision}"><button type="submit">${label}</button></form>`;
  const where =
    page.redirectHost === null
      ? `${name} will use your account on the device you are connecting.`
      : `${name} will be sent back to <strong>${escapeHTML(page.redirectHost)}</strong>.`;
  return htmlPage(
    `Allow ${page.clientName}?`,
    `<h1>Allow ${name} to use your account?</h1>
<p>${where} It asks to:</p>
<ul>${items}</ul>
${form('allow', `Allow ${name}`)}
${form('deny', 'Deny')}`,
  );
}
