import type { Client, ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { CONTENT_SECURITY_POLICY } from '../../http/security-headers.js';

/**
 * The provider's own pages (error, consent, device code entry): plain HTML, no script and no
 * inline style, one layout. The engine writes some of them itself, past our Fastify hooks, so each
 * sets our Content-Security-Policy and `Cache-Control: no-store` where it is written.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML (OWASP XSS Prevention CS, rule 1). */
export function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A whole page: `lang`, a title, a viewport, and `body` (already HTML) as its main landmark (WCAG 2.2: 3.1.1, 2.4.2, 1.3.1). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHTML(title)}</title></head>
<body><main>
${body}
</main></body></html>`;
}

/**
 * Our page policy ({@link CONTENT_SECURITY_POLICY}) as a header value, with `form-action` widened
 * by `formTargets` (the consent page's form ends at the client's redirect URI).
 */
export function pagePolicy(formTargets: string[] = []): string {
  return Object.entries(CONTENT_SECURITY_POLICY)
    .map(([name, values]) => `${name} ${(name === 'form-action' ? [...values, ...formTargets] : values).join(' ')}`)
    .join(';');
}

/**
 * The page shown when the engine must not redirect (RFC 6749 §4.1.2.1: an unknown client or
 * redirect URI is never followed): plain, accessible, no script.
 */
export function errorPage(error: string, description: string): string {
  return htmlPage(
    'Sign-in request refused',
    `<h1>This sign-in request was refused</h1>
<p>The application that sent you here made a request this service cannot accept, so you were not sent back to it.</p>
<p><strong>${escapeHTML(error)}</strong>${description ? `: ${escapeHTML(description)}` : ''}</p>
<p><a href="/">Go to your account</a></p>`,
  );
}

/** Writes one of our pages as the engine's response. */
function send(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html';
  ctx.set('content-security-policy', pagePolicy());
  ctx.set('cache-control', 'no-store');
  ctx.body = html;
}

/**
 * The engine's form token for the device pages (it checks it on the POST, the OWASP CSRF CS
 * "synchronizer token"): kept in the engine's session before any of these pages is rendered.
 */
function formSecret(ctx: KoaContextWithOIDC, form: string): string {
  const state = ctx.oidc.session?.state as { secret?: unknown } | undefined;
  if (typeof state?.secret === 'string') return state.secret;
  // The engine embeds the same token in the form it offers us.
  return /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';
}

/** Where the device forms post: the engine's code verification endpoint, as it names it (absolute, from the issuer). */
function verificationURL(ctx: KoaContextWithOIDC): string {
  return (ctx.oidc as unknown as { urlFor(name: string): string }).urlFor('code_verification');
}

/**
 * Why the code was refused, in words (RFC 8628 §3.3 leaves the page to us). `afterSignIn`: the
 * request came back from our sign-in or consent (the engine's `device_resume`), where an aborted
 * request is the user's Deny.
 */
function codeProblem(err: Error | undefined, afterSignIn: boolean): string | null {
  if (!err) return null;
  switch (err.name) {
    case 'NoCodeError':
      return 'Enter the code your device shows.';
    case 'NotFoundError':
      return 'That code is not right. Check the code your device shows and enter it again.';
    case 'ExpiredError':
      return 'That code has expired. Start again on your device to get a new code.';
    case 'AlreadyUsedError':
      return 'That code has already been used. Start again on your device to get a new code.';
    case 'AbortedError':
      if (afterSignIn) return 'You denied the request: the device was not connected.';
      return 'The request was cancelled: the device was not connected. Start again on your device if you want to connect it.';
    default:
      // A form token that no longer matches (another tab, a page left open), or the engine's own
      // refusal: its internals are not the visitor's business.
      return 'This page has expired. Enter the code again.';
  }
}

export interface DevicePageOptions {
  /** Where the user manages their account (the web page), linked from the success page. */
  accountPage: string;
  /** Whether the request comes with a session signed in here (the mount reads our auth cookie). */
  signedIn(ctx: KoaContextWithOIDC): boolean;
  /** The code a `verification_uri_complete` link carried, to fill the field with. */
  givenCode(ctx: KoaContextWithOIDC): string | undefined;
}

/**
 * The device flow's pages (RFC 8628 §3.3): enter the code, check it names the right app, and
 * done. A visitor not signed in here is sent to the web page's sign-in after confirming, by the
 * engine's interaction, like an authorization request.
 */
export function devicePages(options: DevicePageOptions) {
  const accountLink = `<p><a href="${escapeHTML(options.accountPage)}">Go to your account</a></p>`;
  return {
    userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out?: ErrorOut, err?: Error): void {
      const problem = codeProblem(err, ctx.oidc.route === 'device_resume');
      const entered = (err as { userCode?: unknown } | undefined)?.userCode ?? options.givenCode(ctx);
      const signedIn = options.signedIn(ctx);
      const describedBy = problem ? 'user-code-hint user-code-error' : 'user-code-hint';
      send(
        ctx,
        htmlPage(
          problem ? 'Connect a device: try again' : 'Connect a device',
          `<h1>Connect a device</h1>
${problem ? `<p id="user-code-error" role="alert"><strong>${escapeHTML(problem)}</strong></p>` : ''}
<p>Enter the code shown by the TV, console or command-line tool you are connecting to your account.${signedIn ? '' : ' You sign in next.'}</p>
<form method="post" action="${escapeHTML(verificationURL(ctx))}">
<input type="hidden" name="xsrf" value="${escapeHTML(formSecret(ctx, form))}">
<p><label for="user-code">Code shown on your device</label><br>
<input id="user-code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64" required aria-describedby="${describedBy}"${problem ? ' aria-invalid="true"' : ''}${typeof entered === 'string' ? ` value="${escapeHTML(entered)}"` : ''}></p>
<p id="user-code-hint">8 letters, such as BDWP-HQPK; the dash is optional.</p>
<p><button type="submit">Continue</button></p>
</form>
${accountLink}`,
        ),
      );
    },

    // The device's address (the engine's `deviceInfo`) is not shown: it is whatever X-Forwarded-For
    // the device sent, and a reassuring address an attacker chose is worse than none.
    userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, client: Client, _deviceInfo: unknown, userCode: string): void {
      const name = escapeHTML(client.clientName ?? client.clientId);
      send(
        ctx,
        htmlPage(
          `Connect ${client.clientName ?? client.clientId}?`,
          `<h1>Connect ${name} to your account?</h1>
<p>Check that your device shows this code:</p>
<p><strong><code>${escapeHTML(userCode)}</code></strong></p>
<p>If you did not start this yourself, or the code is not the same, cancel: someone may be trying to get into your account.</p>
<form method="post" action="${escapeHTML(verificationURL(ctx))}">
<input type="hidden" name="xsrf" value="${escapeHTML(formSecret(ctx, form))}">
<input type="hidden" name="user_code" value="${escapeHTML(userCode)}">
<input type="hidden" name="confirm" value="yes">
<p><button type="submit">Continue</button> <button type="submit" name="abort" value="yes">Cancel</button></p>
</form>`,
        ),
      );
    },

    successSource(ctx: KoaContextWithOIDC): void {
      const client = ctx.oidc.client;
      const name = escapeHTML(client?.clientName ?? client?.clientId ?? 'The device');
      send(
        ctx,
        htmlPage(
          'Device connected',
          `<h1>${name} is connected</h1>
<p role="status">You can go back to your device: it finishes signing in by itself.</p>
<p>You can disconnect it at any time under “Connected apps” on your account page.</p>
${accountLink}`,
        ),
      );
    },
  };
}
