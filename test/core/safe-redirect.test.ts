import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeNextPath } from '../../src/core/safe-redirect.js';

const BASE = 'https://auth.example.com';

test('same-origin paths are kept, with their query and fragment', () => {
  for (const next of ['/', '/profile', '/a/b?c=d&e=f', '/#profile', '/users/%2F%2Fevil']) assert.equal(safeNextPath(next, BASE), next);
  assert.equal(safeNextPath('/a/../b', BASE), '/b');
});

test('anything that could leave the origin, or is not a string path, lands on /', () => {
  const unsafe = [
    'https://evil.example/',
    'http://auth.example.com.evil.example/',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,x',
    'evil.example',
    '/ok\r\nSet-Cookie: a=1',
    '/tab\tx',
    '/nul\u0000',
    ' /leading-space',
    '',
    'x'.repeat(3000),
    undefined,
    null,
    42,
    ['/a'],
    { a: 1 },
  ];
  for (const next of unsafe) assert.equal(safeNextPath(next, BASE), '/', String(next));
});

test('dot segments cannot turn a path into another host: the resolved path is what is tested and returned', () => {
  const escapes = [
    '/..//evil.example',
    '/./..//evil.example/x',
    '/a/..//evil.example',
    '/%2e%2e//evil.example',
    '/.%2e//evil.example',
    '/%2E%2E//evil.example?x=1',
    '/./\\evil.example',
    '/.%2E/%2e%2e//evil.example#frag',
  ];
  for (const next of escapes) assert.equal(safeNextPath(next, BASE), '/', next);
  // Dot segments that stay on a path of ours are fine, and come back resolved.
  assert.equal(safeNextPath('/a/%2e%2e/b', BASE), '/b');
  assert.equal(safeNextPath('/a/./b/../c?d=1', `${BASE}/prefix`), '/a/c?d=1');
});
