import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientKey } from '../../src/core/client-address.js';

describe('clientKey', () => {
  test('keeps an IPv4 address', () => {
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  });

  test('turns an IPv4-mapped IPv6 address into its IPv4 address', () => {
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('::FFFF:c000:0201'), '192.0.2.1');
    assert.equal(clientKey('0:0:0:0:0:ffff:192.0.2.1'), '192.0.2.1');
  });

  test('groups IPv6 addresses by /64 on the fully expanded form', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:0db8:0001:0002::/64');
    assert.equal(clientKey('2001:DB8:1:2:ffff:ffff:ffff:ffff'), '2001:0db8:0001:0002::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:0000:0000:0000:0001'), '2001:0db8:0001:0002::/64');
    assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  });

  test('expands a leading or trailing ::', () => {
    assert.equal(clientKey('::1'), '0000:0000:0000:0000::/64');
    assert.equal(clientKey('2001:db8::'), '2001:0db8:0000:0000::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0000:0000:0000::/64');
  });

  test('every IPv6 form that carries an IPv4 address is that IPv4 address', () => {
    const forms = {
      'IPv4-compatible': '::192.0.2.1',
      'IPv4-translated (SIIT)': '::ffff:0:192.0.2.1',
      'NAT64 well-known prefix': '64:ff9b::192.0.2.1',
      'NAT64, hexadecimal': '64:ff9b::c000:201',
      '6to4 (any host of the /48)': '2002:c000:0201:1234:5678::9',
      'Teredo (client address inverted)': '2001:0:4136:e378:8000:63bf:3fff:fdfe',
    };
    for (const [name, form] of Object.entries(forms)) assert.equal(clientKey(form), '192.0.2.1', name);
  });

  test('other spellings of an IPv4 address give its dotted form', () => {
    assert.equal(clientKey('192.000.002.001'), '192.0.2.1');
  });

  test('the loopback and unspecified IPv6 addresses are not IPv4-compatible ones', () => {
    assert.equal(clientKey('::1'), '0000:0000:0000:0000::/64');
    assert.equal(clientKey('::'), '0000:0000:0000:0000::/64');
  });

  test('anything that is not an address is kept (trimmed, lower-cased)', () => {
    assert.equal(clientKey(' Unix-Socket '), 'unix-socket');
    assert.equal(clientKey(''), '');
  });
});
