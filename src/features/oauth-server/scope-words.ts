/**
 * What each scope lets an application do, in words: the consent page (server) and "Connected
 * apps" (the web page, which bundles this module) say the same. Pure: no imports.
 */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are on this service (your user id)',
  profile: 'See your basic profile',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it (until you disconnect it)',
};

/** A scope in words; an API scope of the deployment's own (`notes:read`) is named as it is. */
export function scopeInWords(scope: string): string {
  return SCOPE_WORDS[scope] ?? `Use the permission “${scope}”`;
}
