/**
 * Tiny HTTP servers for the browser tests, on 127.0.0.1 port 0: one hosts a copy of the web page
 * (a front end on another origin), the other the attacker's pages. Reached as `localhost:<port>`
 * they are another origin of the same site as the API; as `127.0.0.1:<port>`, another site.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TinyServer {
  port: number;
  close: () => Promise<void>;
}

async function listen(handler: (path: string) => { type: string; body: string | Buffer } | null): Promise<TinyServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const page = handler(path);
    if (!page) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' }).end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves the built page under `/front/` with `<meta name="api-base">` pointing at `apiBase()`
 * (read per request: the API's port is known only after this server's own port is listed in
 * CORS_ORIGINS).
 */
export function startFrontEndServer(webDir: string, apiBase: () => string): Promise<TinyServer> {
  const template = readFileSync(join(webDir, 'index.html'), 'utf8');
  const files: Record<string, { type: string; body: Buffer | string }> = {
    '/front/': {
      type: 'text/html; charset=utf-8',
      get body() {
        return template.replace('<meta name="api-base" content="">', `<meta name="api-base" content="${apiBase()}">`);
      },
    },
    '/front/web/app.js': { type: 'text/javascript', body: readFileSync(join(webDir, 'app.js')) },
    '/front/web/style.css': { type: 'text/css', body: readFileSync(join(webDir, 'style.css')) },
  };
  return listen((path) => files[path] ?? null);
}

/**
 * A blank page at every path: an origin for scripts that a test runs in the page itself
 * (Playwright's `page.evaluate`), e.g. a front end or an attacker on another host name.
 */
export function startBlankPageServer(): Promise<TinyServer> {
  const blank = page('blank', '');
  return listen(() => blank);
}

const page = (title: string, body: string) => ({
  type: 'text/html; charset=utf-8',
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`,
});

/**
 * The attacker's pages, aimed at the API at `target` (e.g. `http://localhost:1234`):
 * - `/logout-form`: a form that auto-submits a POST to /logout (classic CSRF);
 * - `/fetch`: a script that reads `csrftoken` from `document.cookie` (possible on another port of
 *   the same host: cookies are not isolated by port) and sends it in `x-csrftoken` with the
 *   cookies, then tries again without the header in `no-cors` mode; it reports in `#result`;
 * - `/login-csrf`: a form that auto-submits the attacker's credentials to /login (login CSRF).
 */
export function startAttackerServer(target: string, attacker: { email: string; password: string }): Promise<TinyServer> {
  const autoSubmit = (action: string, fields: Record<string, string>) =>
    `<form id="f" method="POST" action="${target}${action}">${Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
      .join('')}</form><script>document.getElementById('f').submit()</script>`;
  const fetchScript = `<pre id="result">running</pre><script>
    (async () => {
      const out = { cookieSeen: false, withHeader: 'not sent', noCors: 'not sent' };
      const match = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/);
      out.cookieSeen = Boolean(match);
      try {
        const r = await fetch('${target}/logout', { method: 'POST', credentials: 'include', headers: { 'x-csrftoken': match ? match[1] : 'none' } });
        out.withHeader = 'status ' + r.status;
      } catch (e) { out.withHeader = 'blocked'; }
      try {
        await fetch('${target}/logout', { method: 'POST', credentials: 'include', mode: 'no-cors' });
        out.noCors = 'sent (opaque)';
      } catch (e) { out.noCors = 'blocked'; }
      document.getElementById('result').textContent = JSON.stringify(out);
      document.title = 'done';
    })();
  </script>`;
  const pages: Record<string, ReturnType<typeof page>> = {
    '/logout-form': page('logout', autoSubmit('/logout', {})),
    '/login-csrf': page('login', autoSubmit('/login', { email: attacker.email, password: attacker.password })),
    '/fetch': page('fetch', fetchScript),
  };
  return listen((path) => pages[path] ?? null);
}
