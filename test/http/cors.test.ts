import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildHostApp, type HostTestApp } from '../support/apps.js';
import { browserLogin } from '../support/requests.js';

const FRONT_END = 'https://app.example.com';

function preflight(t: HostTestApp, origin: string, url = '/users/me', method = 'POST') {
  return t.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,x-csrftoken' },
  });
}

describe('CORS', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp({ corsOrigins: [FRONT_END, 'http://localhost:5173'] });
  });
  after(async () => t.close());

  test('preflight from a listed origin: origin echoed, credentials, headers and methods allowed, Vary: Origin', async () => {
    const response = await preflight(t, FRONT_END, '/logout');
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], FRONT_END);
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    const allowedHeaders = String(response.headers['access-control-allow-headers'])
      .toLowerCase()
      .split(/\s*,\s*/);
    for (const header of ['authorization', 'content-type', 'x-csrftoken']) assert.ok(allowedHeaders.includes(header), header);
    const methods = String(response.headers['access-control-allow-methods']).split(/\s*,\s*/);
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) assert.ok(methods.includes(method), method);
    assert.match(String(response.headers.vary), /\bOrigin\b/i);
  });

  test('preflight is answered before authentication (no credentials needed on a guarded route)', async () => {
    const response = await preflight(t, FRONT_END, '/users/me', 'GET');
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], FRONT_END);
    assert.equal(response.headers['set-cookie'], undefined, 'no CSRF cookie on a preflight');
  });

  test('preflight from a foreign origin gets no Access-Control-Allow-Origin', async () => {
    const response = await preflight(t, 'https://evil.example', '/logout');
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
  });

  test('look-alike origins get no Access-Control-Allow-Origin (exact match only)', async () => {
    for (const origin of ['https://evil-app.example.com', 'https://app.example.com.evil.example', 'http://app.example.com', 'http://localhost:51730', 'null']) {
      const response = await preflight(t, origin);
      assert.equal(response.headers['access-control-allow-origin'], undefined, origin);
    }
  });

  test('an actual credentialed request from a listed origin gets the echoed origin, never *', async () => {
    const s = await browserLogin(t.app, 'cors@example.com');
    const response = await t.app.inject({ method: 'GET', url: '/users/me', headers: { origin: FRONT_END, cookie: s.cookie } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['access-control-allow-origin'], FRONT_END);
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    assert.match(String(response.headers.vary), /\bOrigin\b/i);
  });

  test('an actual request from a foreign origin gets no CORS headers (the browser hides the response)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.match(String(response.headers.vary), /\bOrigin\b/i, 'Vary: Origin on every answer, so a cache never mixes them');
  });
});

describe('CORS with no origins configured', () => {
  test('nobody gets Access-Control-Allow-Origin', async () => {
    const t = await buildHostApp();
    try {
      const response = await preflight(t, FRONT_END);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
      const get = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: FRONT_END } });
      assert.equal(get.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });
});
