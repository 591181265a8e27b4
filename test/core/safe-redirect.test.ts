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
    'https://evil.example/', 'http://auth.example.com.evil.example/', '//evil.example', '///evil.example', '/\\evil.example',
    '\\\\evil.example', '/\\/evil.example', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', 'evil.example',
    '/ok\r\nSet-Cookie: a=1', '/tab\tx', '/nul\u0000', ' /leading-space', '', 'x'.repeat(3000), undefined, null, 42, ['/a'], { a: 1 },
  ];
  for (const next of unsafe) assert.equal(safeNextPath(next, BASE), '/', String(next));
});
