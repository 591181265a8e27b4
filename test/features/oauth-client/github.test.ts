import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildMailApp, type MailApp, PUBLIC_URL } from '../../support/apps.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { browse, CookieJar } from './flow.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

describe('the github preset, against a local stand-in for GitHub', () => {
  let gh: GitHubStandIn;
  let t: MailApp;
  before(async () => {
    gh = await startGitHubStandIn({ clientId: 'gh-client', clientSecret: 'gh-secret' });
    t = await buildMailApp({
      oauthProviders: [
        {
          name: 'github',
          clientId: 'gh-client',
          clientSecret: 'gh-secret',
          // As for GitHub Enterprise Server: the same API under another host.
          endpoints: { authorization: `${gh.origin}/login/oauth/authorize`, token: `${gh.origin}/login/oauth/access_token`, api: `${gh.origin}/api/v3` },
        },
      ],
    });
  });
  after(async () => {
    await t.close();
    await gh.close();
  });

  async function signIn(jar: CookieJar) {
    const start = await browse(t.app, jar, '/oauth/github/authorize');
    assert.equal(start.statusCode, 302, start.body);
    const authorization = new URL(start.headers.location as string);
    const atGitHub = await fetch(authorization, { redirect: 'manual' });
    const back = new URL(atGitHub.headers.get('location')!);
    assert.ok(back.href.startsWith(`${PUBLIC_URL}/oauth/github/callback?`));
    return { authorization, response: await browse(t.app, jar, `${back.pathname}${back.search}`) };
  }

  test('signs in with the numeric id and the verified primary email; PKCE and the client secret reach the token endpoint', async () => {
    gh.user = {
      id: 583231,
      login: 'octocat',
      emails: [
        { email: 'octocat@users.noreply.github.com', primary: false, verified: true },
        { email: 'Octo@Example.com', primary: true, verified: true },
      ],
    };
    const jar = new CookieJar();
    const { authorization, response } = await signIn(jar);
    assert.equal(authorization.searchParams.get('scope'), 'read:user user:email');
    assert.equal(authorization.searchParams.get('nonce'), null, 'no nonce: GitHub is not OpenID Connect');
    assert.equal(response.statusCode, 302, response.body);
    const me = (await browse(t.app, jar, '/users/me')).json();
    assert.deepEqual({ email: me.email, is_verified: me.is_verified }, { email: 'octo@example.com', is_verified: true });
    const [link] = await t.store.oauthAccounts.listOAuthAccounts(me.id);
    assert.deepEqual([link!.oauthName, link!.accountId], ['github', '583231']);
    const sent = gh.tokenRequests.at(-1)!;
    assert.equal(sent.client_secret, 'gh-secret');
    assert.match(sent.code_verifier!, /^[A-Za-z0-9_-]{43,128}$/);
  });

  test('a GitHub account whose primary email is not verified cannot sign in', async () => {
    gh.user = { id: 99, login: 'unverified', emails: [{ email: 'unverified@example.com', primary: true, verified: false }] };
    const { response } = await signIn(new CookieJar());
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'OAUTH_CALLBACK_FAILED');
    assert.deepEqual(setCookiesNamed(response, 'token'), []);
    assert.equal(await t.store.findUserByEmail('unverified@example.com'), null);
  });
});
