import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Cookies of one browser for our app (through `app.inject`). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Records the response's `Set-Cookie` headers (an expired or empty one deletes). */
  take(response: LightMyRequestResponse | Response): void {
    const headers = 'cookies' in response ? ([response.headers['set-cookie'] ?? []].flat() as string[]) : response.headers.getSetCookie();
    for (const line of headers) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** `app.inject` as a browser with `jar`: cookies sent and kept. */
export async function browse(
  app: FastifyInstance,
  jar: CookieJar,
  url: string,
  options: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; payload?: string } = {},
) {
  const response = await app.inject({ method: options.method ?? 'GET', url, headers: { cookie: jar.header(), ...options.headers }, payload: options.payload });
  jar.take(response);
  return response;
}

/**
 * Plays the user at the test provider: follows its redirects, signs in as `login` on its login
 * page and approves its consent page, and returns the URL it finally sends the browser to (our
 * callback). `abort` presses "Cancel" on the login page instead (the provider answers `access_denied`).
 */
export async function actAtProvider(authorizationURL: string, login: string, options: { stopAt: string; abort?: boolean }): Promise<URL> {
  const jar = new CookieJar();
  let url = authorizationURL;
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    jar.take(response);
    method = 'GET';
    body = undefined;
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location')!, url);
      if (next.href.startsWith(options.stopAt)) return next;
      url = next.href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on the provider's page: ${html.slice(0, 300)}`);
    if (/name="prompt" value="login"/.test(html)) {
      if (options.abort) {
        url = new URL(/href="([^"]+\/abort)"/.exec(html)![1]!, url).href;
        continue;
      }
      body = new URLSearchParams({ prompt: 'login', login, password: 'anything' }).toString();
    } else {
      body = new URLSearchParams({ prompt: 'consent' }).toString();
    }
    url = new URL(action, url).href;
    method = 'POST';
  }
  throw new Error('the provider never redirected back');
}
