import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:web` writes the page (the same path from `src/http` and `dist/http`). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface WebPageOptions {
  /** Folder holding the built `index.html`, `app.js`, `style.css`; default `dist/web`. */
  dir?: string;
  /** Name of the CSRF cookie the page reads, written into its `<meta name="csrf-cookie">`. */
  csrfCookieName: string;
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Serves the web page (docs/web-page.md) at `GET /` and its bundle under `/web/`. Files are read once at
 * start. When the bundle has not been built, `/` answers 503 saying how to build it rather than
 * failing the whole server (`npm start` and `npm test` build it first).
 */
export async function registerWebPage(app: FastifyInstance, options: WebPageOptions): Promise<void> {
  const dir = options.dir ?? DEFAULT_WEB_DIR;
  let html: string | null = null;
  const assets = new Map<string, Buffer>();
  try {
    html = readFileSync(join(dir, 'index.html'), 'utf8').replace(
      /<meta name="csrf-cookie" content="[^"]*">/,
      `<meta name="csrf-cookie" content="${options.csrfCookieName}">`,
    );
    for (const name of Object.keys(ASSETS)) {
      try {
        assets.set(name, readFileSync(join(dir, name)));
      } catch {
        // The source map is optional.
      }
    }
  } catch {
    app.log.warn(`web page not built (no ${join(dir, 'index.html')}): run "npm run build:web"`);
  }

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (html === null) return reply.code(503).type('text/plain; charset=utf-8').send('The web page is not built: run "npm run build:web".\n');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
  app.get<{ Params: { file: string } }>('/web/:file', { schema: { hide: true } }, async (request, reply) => {
    const body = assets.get(request.params.file);
    const type = ASSETS[request.params.file];
    if (!body || !type) return reply.callNotFound();
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  });
}
