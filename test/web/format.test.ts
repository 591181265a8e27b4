import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectedAppDetails, connectedAppName, deviceName, formatTime, sessionDetails, type SessionInfo } from '../../web/format.js';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('web page: session descriptions', () => {
  test('common browsers get a short "browser on platform" name', () => {
    assert.equal(deviceName(CHROME_LINUX), 'Chrome on Linux');
    assert.equal(deviceName(FIREFOX_WINDOWS), 'Firefox on Windows');
    assert.equal(deviceName(SAFARI_IPHONE), 'Safari on iOS');
  });

  test('no User-Agent, or an unknown one (shortened when long)', () => {
    assert.equal(deviceName(null), 'Unknown device');
    assert.equal(deviceName('curl/8.5.0'), 'curl/8.5.0');
    const long = `agent-${'x'.repeat(100)}`;
    assert.equal(deviceName(long).length, 58);
    assert.ok(deviceName(long).endsWith('…'));
  });

  test('times are shown in the locale; a broken value is shown as is', () => {
    assert.match(formatTime('2030-01-02T10:00:00.000Z', 'en-US'), /2030/);
    assert.equal(formatTime('not a date'), 'not a date');
  });

  test('the details line says where from and when', () => {
    const session: SessionInfo = {
      id: 's1',
      created_at: '2030-01-02T10:00:00.000Z',
      last_used_at: '2030-01-03T10:00:00.000Z',
      user_agent: CHROME_LINUX,
      ip: '192.0.2.7',
      current: false,
    };
    const text = sessionDetails(session, 'en-US');
    assert.match(text, /^from 192\.0\.2\.7 · signed in .*2030.* · last active .*2030/);
    assert.doesNotMatch(sessionDetails({ ...session, ip: null }, 'en-US'), /from/);
  });
});

describe('web page: connected apps', () => {
  const app = { client_id: 'abc123', client_name: 'Notes CLI', scopes: ['openid', 'email', 'notes:read'], created_at: '2030-01-02T10:00:00.000Z' };

  test('the name, or the client id when the app registered none (or a blank one)', () => {
    assert.equal(connectedAppName(app), 'Notes CLI');
    assert.equal(connectedAppName({ ...app, client_name: null }), 'abc123');
    assert.equal(connectedAppName({ ...app, client_name: '  ' }), 'abc123');
  });

  test('since when, and each scope in words; an API scope by its name', () => {
    const since = `connected ${formatTime(app.created_at, 'en-US')}`;
    assert.match(since, /2030/);
    assert.equal(
      connectedAppDetails(app, 'en-US'),
      `${since} · it can know who you are on this service (your user id); see your email address and whether it is verified; use the permission “notes:read”`,
    );
    assert.equal(connectedAppDetails({ ...app, scopes: [] }, 'en-US'), since);
  });
});
