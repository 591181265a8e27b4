import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoute, returnPathOf, wantsFreshSignIn, withoutFragment } from '../../web/route.js';

const TOKEN = 'q3E1lJcV0nL9y4pYb8vKxQm2T7sW6hRzA5uGdFjNcXo'; // 43 base64url characters, as minted

describe('web page: routing on the URL fragment', () => {
  test('the mailed reset and verify links give their path and token', () => {
    assert.deepEqual(parseRoute(`#/reset-password?token=${TOKEN}`), { path: '/reset-password', token: TOKEN });
    assert.deepEqual(parseRoute(`#/verify?token=${TOKEN}`), { path: '/verify', token: TOKEN });
  });

  test('with or without "#", a trailing slash, other parameters around the token', () => {
    assert.deepEqual(parseRoute(`/verify/?utm=x&token=${TOKEN}&b=1`), { path: '/verify', token: TOKEN });
  });

  test('no fragment, "#" and "#/" are the default view', () => {
    for (const hash of ['', '#', '#/']) assert.deepEqual(parseRoute(hash), { path: '', token: null });
  });

  test('an in-page link has a path and no token', () => {
    assert.deepEqual(parseRoute('#/forgot-password'), { path: '/forgot-password', token: null });
  });

  test('a missing, empty or non-base64url token is null (never sent to the API)', () => {
    assert.equal(parseRoute('#/verify').token, null);
    assert.equal(parseRoute('#/verify?token=').token, null);
    assert.equal(parseRoute('#/verify?token=abc').token, null, 'too short to be a token');
    assert.equal(parseRoute(`#/verify?token=${TOKEN.slice(0, 30)}%3Cscript%3E`).token, null);
    assert.equal(parseRoute(`#/verify?token=${'a'.repeat(200)}`).token, null);
  });

  test('a percent-encoded token is decoded like any query parameter', () => {
    assert.equal(parseRoute(`#/reset-password?token=${TOKEN.slice(0, 10)}%2D${TOKEN.slice(11)}`).token, `${TOKEN.slice(0, 10)}-${TOKEN.slice(11)}`);
  });

  test('withoutFragment keeps path and query, drops the fragment and its token', () => {
    assert.equal(withoutFragment(`http://127.0.0.1:8000/?lang=en#/verify?token=${TOKEN}`), 'http://127.0.0.1:8000/?lang=en');
    assert.equal(withoutFragment('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000/');
  });
});

describe('returnPathOf: where a sign-in asked by an application returns', () => {
  test('a path on this origin is kept; anything that could leave it is dropped', () => {
    assert.equal(returnPathOf('#/login?next=%2Foauth2%2Finteraction%2Fabc'), '/oauth2/interaction/abc');
    for (const next of ['https://evil.example/x', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/a\nb', '', 'oauth2/x']) {
      assert.equal(returnPathOf(`#/login?next=${encodeURIComponent(next)}`), null, next);
    }
    assert.equal(returnPathOf('#/login'), null);
  });

  test('fresh=1 asks for a new sign-in', () => {
    assert.equal(wantsFreshSignIn('#/login?next=%2Fx&fresh=1'), true);
    assert.equal(wantsFreshSignIn('#/login?next=%2Fx'), false);
  });
});
