import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';
import type { SessionChange } from '../../src/core/session-cache.js';
import { KEEPS_SESSIONS, READS, STORE_SESSION_EFFECTS, withSessionChanges } from '../../src/store/session-effects.js';
import type { Store } from '../../src/core/store.js';

/**
 * The methods of the `Store` interface (inherited ones included) and of the stores it composes
 * (`secondFactor.savePendingTOTP`, …), as the TypeScript checker sees them, as dotted paths.
 */
function storeInterfaceMethods(): string[] {
  const file = fileURLToPath(new URL('../../src/core/store.ts', import.meta.url));
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // Only the interface and what it imports: no @types packages and no DOM library, which were
    // most of the 237 files the checker parsed (≈ 2 s; ≈ 0.1 s without them, the same methods).
    types: [],
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Store');
  assert.ok(declaration, 'src/core/store.ts declares `Store`');
  const methods: string[] = [];
  const visit = (type: ts.Type, prefix: string) => {
    for (const property of checker.getPropertiesOfType(type)) {
      const propertyType = checker.getTypeOfSymbolAtLocation(property, declaration);
      if (propertyType.getCallSignatures().length > 0) methods.push(prefix + property.name);
      else if (propertyType.flags & ts.TypeFlags.Object) visit(propertyType, `${prefix}${property.name}.`);
    }
  };
  visit(checker.getTypeAtLocation(declaration), '');
  return methods.sort();
}

/** The dotted paths of the table's entries. */
function classified(table: object, prefix = ''): string[] {
  return Object.entries(table)
    .flatMap(([key, value]) => (typeof value === 'object' && value !== null ? classified(value, `${prefix}${key}.`) : [prefix + key]))
    .sort();
}

describe('which store writes change sessions', () => {
  test('every method of the Store interface is classified (a new write path must say what it does to sessions)', () => {
    const methods = storeInterfaceMethods();
    assert.ok(methods.includes('deleteToken') && methods.includes('updateUser'), `found ${methods.join(', ')}`);
    const table = classified(STORE_SESSION_EFFECTS);
    const unclassified = methods.filter((m) => !table.includes(m));
    assert.deepEqual(unclassified, [], `classify these in src/store/session-effects.ts: ${unclassified.join(', ')}`);
    assert.deepEqual(table, methods, 'no stale entries either');
  });

  test('the writes that end or change a session or its user name what they change', () => {
    const effects = STORE_SESSION_EFFECTS;
    assert.deepEqual(effects.deleteToken === READS || effects.deleteToken === KEEPS_SESSIONS ? null : effects.deleteToken(['d1']), { digests: ['d1'] });
    for (const name of ['updateUser', 'replacePasswordHash', 'deleteUser', 'deleteUserTokens'] as const) {
      const effect = effects[name];
      assert.equal(typeof effect, 'function', name);
      assert.deepEqual((effect as (args: unknown[]) => SessionChange)([42, {}, 'x', new Date()]), { userIds: [42] }, name);
    }
  });

  test("a composed store's methods go through the choke point too", async () => {
    const fake = {
      secondFactor: {
        async deleteTOTP() {
          return true;
        },
        async findTOTP() {
          return null;
        },
      },
    } as unknown as Store;
    const reported: unknown[] = [];
    const store = withSessionChanges(
      fake,
      (change) => reported.push(change),
      () => reported.push('unknown'),
    );
    await store.secondFactor.findTOTP(3);
    await store.secondFactor.deleteTOTP(3);
    assert.deepEqual(reported, [{ userIds: [3] }]);
  });

  test('the wrapper reports a change after the write, even when the write fails, and none for reads', async () => {
    const calls: string[] = [];
    const fake = {
      async deleteToken(digest: string) {
        calls.push(`delete ${digest}`);
        return true;
      },
      async deleteUser() {
        calls.push('deleteUser');
        throw new Error('connection lost after commit?');
      },
      async findUserById() {
        calls.push('find');
        return null;
      },
      async somethingNew() {
        calls.push('new');
      },
    } as unknown as Store;
    const reported: unknown[] = [];
    const store = withSessionChanges(
      fake,
      (change) => reported.push(change),
      () => reported.push('unknown'),
    );
    assert.equal(await store.deleteToken('abc'), true);
    await assert.rejects(store.deleteUser(7));
    await store.findUserById(1);
    await (store as unknown as { somethingNew(): Promise<void> }).somethingNew();
    assert.deepEqual(calls, ['delete abc', 'deleteUser', 'find', 'new']);
    assert.deepEqual(reported, [{ digests: ['abc'] }, { userIds: [7] }, 'unknown']);
  });

  test('a method replaced on the store after wrapping is the one called, still through the choke point', async () => {
    const fake = {
      async deleteToken() {
        return false;
      },
    } as unknown as Store;
    const reported: unknown[] = [];
    const store = withSessionChanges(
      fake,
      (change) => reported.push(change),
      () => reported.push('unknown'),
    );
    assert.equal(await store.deleteToken('a'), false);
    store.deleteToken = async () => true; // e.g. a test double installed on the service's store
    assert.equal(await store.deleteToken('b'), true);
    assert.deepEqual(reported, [{ digests: ['a'] }, { digests: ['b'] }]);
  });
});
