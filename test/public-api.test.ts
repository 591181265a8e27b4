import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as api from '../src/index.js';

test('the package entry exports only the documented public API (plugin, options, stores, mailers, errors)', () => {
  // A new export is a promise to users: add it here and to README's "As a library" on purpose.
  assert.deepEqual(Object.keys(api).sort(), [
    'AuthError',
    'ConfigError',
    'CounterStoreFullError',
    'DEFAULT_BODY_LIMIT',
    'DEFAULT_ROLE_PERMISSIONS',
    'ERRORS',
    'MemoryCounterStore',
    'SQLStore',
    'clientErrorHandler',
    'createLogMailer',
    'createSMTPMailer',
    'deferredChildLoggerFactory',
    'fastifyUsers',
    'frameworkErrors',
    'notFoundHandler',
    'registerOpenAPI',
  ]);
});
