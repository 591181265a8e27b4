import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { kBrowserProtections } from './request-state.js';

/**
 * Which routes the browser protections (CORS, the Origin check, CSRF) hold for:
 *
 * - `'all-routes'` (default, the safe one): every route of the host app as well as ours — a host
 *   route that authenticates with the auth cookie is as exposed to cross-site requests as ours;
 * - `'plugin-routes'`: only this plugin's routes and host routes that opt in, as
 *   `@fastify/helmet`'s `global: false` does.
 *
 * In either mode a route says what it wants with `config: { browserProtections: true | false }`.
 * Opting out is for routes no browser session reaches (a webhook signed by its sender): a route
 * that reads the auth cookie without CSRF protection is open to cross-site request forgery
 * (OWASP CSRF Prevention Cheat Sheet).
 */
export type BrowserProtectionScope = 'all-routes' | 'plugin-routes';
export const DEFAULT_BROWSER_PROTECTIONS: BrowserProtectionScope = 'all-routes';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Whether fastify-users' CORS, Origin and CSRF checks apply to this route (see docs/security.md). */
    browserProtections?: boolean;
  }
}

/** Decides per request whether the protections apply; built once at registration. */
export interface ProtectionScope {
  /** For an ordinary request: the matched route's choice, else the scope's default. */
  appliesTo(request: FastifyRequest): boolean;
  /** For a CORS preflight: the choice of the route the preflight asks about. */
  appliesToPreflight(request: FastifyRequest): boolean;
  /** Marks a route of this plugin (called from the plugin's own routes context). */
  markPluginRoute(route: RouteOptions): void;
}

export function createProtectionScope(app: FastifyInstance, scope: BrowserProtectionScope): ProtectionScope {
  const everywhere = scope === 'all-routes';
  // Preflights are answered by a catch-all OPTIONS route, so the route they ask about is found by
  // method and path in a router of the routes that made a choice (Fastify's own findRoute tells
  // whether a route exists, not which one). Fastify's router library, so the matching is the same.
  const choices = FindMyWay({ ignoreTrailingSlash: false });
  const record = (route: RouteOptions): void => {
    const choice = route.config?.browserProtections;
    if (choice === undefined) return;
    for (const method of [route.method].flat()) {
      if (!choices.hasRoute(method as HTTPMethod, route.url)) choices.on(method as HTTPMethod, route.url, () => {}, { choice });
    }
  };
  // Host routes declared after the plugin; the plugin's own routes record themselves below (a
  // parent's onRoute runs before the child context has marked them).
  app.addHook('onRoute', record);

  // The answer is kept on the request (http/request-state.ts): the Origin check, CSRF and its
  // cookie each ask, and Fastify's `request.routeOptions` builds a new object on every read (~0.25 µs).
  return {
    appliesTo(request) {
      return (request[kBrowserProtections] ??= request.routeOptions.config?.browserProtections ?? everywhere);
    },
    appliesToPreflight(request) {
      const method = request.headers['access-control-request-method'];
      if (typeof method !== 'string') return everywhere;
      const path = request.url.split('?', 1)[0]!;
      const target = choices.find(method.toUpperCase() as HTTPMethod, path);
      return (target?.store as { choice?: boolean } | undefined)?.choice ?? everywhere;
    },
    markPluginRoute(route) {
      route.config = { ...route.config, browserProtections: route.config?.browserProtections ?? true };
      record(route);
    },
  };
}
