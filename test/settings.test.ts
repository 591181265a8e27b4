import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { resolveAuthOptions } from '../src/core/options.js';
import { resolvePluginOptions } from '../src/http/plugin-options.js';
import { readConfig } from '../src/server.js';
import { configurationTables, tableBetweenMarkers } from '../src/settings-docs.js';
import { SETTINGS, type Setting } from '../src/settings.js';

/** A valid value for a setting that differs from its default. */
function sample(setting: Setting): string {
  if (setting.env === 'OAUTH_PROVIDERS') return 'github';
  if (setting.env === 'BREACHED_PASSWORDS') return 'api';
  switch (setting.type) {
    case 'integer':
      return String(typeof setting.default === 'number' ? setting.default + 1 : 9000);
    case 'boolean':
      return setting.default === true ? 'false' : 'true';
    case 'list':
      return 'http://a.example,http://b.example';
    case 'url':
      return `${setting.schemes?.[0] ?? 'http:'}//host.example`;
    default:
      if (setting.env === 'LOG_LEVEL') return 'warn';
      if (setting.env === 'PUBLIC_URL') return 'https://auth.example.com';
      if (setting.env === 'NODE_ENV') return 'production';
      if (setting.env === 'ORG_ROLE_PERMISSIONS') return '{"admin":["invoices:write"]}';
      if (setting.env.startsWith('SECRET_KEY')) return 'k'.repeat(40);
      if (setting.env.endsWith('_COOKIE_NAME')) return 'other_name';
      return `${setting.default ?? ''}changed`;
  }
}

/** Other variables a setting is only valid with. */
function companions(setting: Setting): Record<string, string> {
  if (setting.env === 'BREACHED_PASSWORDS_API_URL') return { BREACHED_PASSWORDS: 'api' };
  if (setting.env === 'OAUTH_SERVER') return { PUBLIC_URL: 'https://auth.example.com' };
  if (setting.env !== 'OAUTH_PROVIDERS') return {};
  return { PUBLIC_URL: 'https://auth.example.com', OAUTH_GITHUB_CLIENT_ID: 'id', OAUTH_GITHUB_CLIENT_SECRET: 'secret' };
}

describe('settings: one declaration for the environment, the options and the docs', () => {
  test('the configuration tables of README.md and docs/configuration.md are the generated ones', () => {
    for (const [file, table] of Object.entries(configurationTables())) {
      const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      assert.equal(tableBetweenMarkers(text), table, `${file} is out of date: run npm run docs:config`);
    }
  });

  test('every declared variable is read: setting it changes the configuration', () => {
    const base = { NODE_ENV: 'test', SECRET_KEY: 's'.repeat(40) };
    for (const setting of SETTINGS) {
      // A setting that needs company (OAUTH_PROVIDERS: a provider's client and PUBLIC_URL) gets it in both runs.
      const context = { ...base, ...companions(setting) };
      const plain = JSON.stringify(readConfig(context));
      const changed = JSON.stringify(readConfig({ ...context, [setting.env]: sample(setting) }));
      assert.notEqual(changed, plain, `${setting.env} is declared but not read`);
    }
  });

  test('a plugin option left out gets the default the declaration shows (one default, used by both)', () => {
    const resolved = resolveAuthOptions({}, () => 'r'.repeat(40)) as unknown as Record<string, unknown>;
    // Options the plugin itself resolves (beside the core's), e.g. auditRetentionDays.
    const plugin = resolvePluginOptions(Fastify(), { databaseUrl: 'sqlite::memory:', secretKey: 's'.repeat(40) }) as unknown as Record<string, unknown>;
    let checked = 0;
    for (const setting of SETTINGS) {
      if (!setting.option || setting.default === undefined || setting.option === 'databaseUrl') continue;
      const path = setting.option.split('.');
      const at = (root: Record<string, unknown>) => path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], root);
      const value = at(resolved) ?? at(plugin);
      assert.equal(value, setting.default, setting.option);
      checked += 1;
    }
    assert.ok(checked >= 10, `checked ${checked} options`);
  });

  test('variables are unique and every option path is unique', () => {
    const envs = SETTINGS.map((s) => s.env);
    assert.equal(new Set(envs).size, envs.length);
    const options = SETTINGS.flatMap((s) => (s.option ? [s.option] : []));
    assert.equal(new Set(options).size, options.length);
  });
});
