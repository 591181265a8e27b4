import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';
import type { SessionChange } from '../../src/core/session-cache.js';
import { KEEPS_SESSIONS, READS, STORE_SESSION_EFFECTS, withSessionChanges } from '../../src/store/session-effects.js';
import type { Store } from '../../src/store/types.js';

/** The methods of the `Store` interface (inherited ones included), as the TypeScript checker sees them. */
function storeInterfaceMethods(): string[] {
  const file = fileURLToPath(new URL('../../src/store/types.ts', import.meta.url));
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Store');
  assert.ok(declaration, 'src/store/types.ts declares `Store`');
  const type = checker.getTypeAtLocation(declaration);
  return checker.getPropertiesOfType(type)
    .filter((p) => checker.getTypeOfSymbolAtLocation(p, declaration).getCallSignatures().length > 0)
    .map((p) => p.name)
    .sort();
}

describe('which store writes change sessions', () => {
  test('every method of the Store interface is classified (a new write path must say what it does to sessions)', () => {
    const methods = storeInterfaceMethods();
    assert.ok(methods.includes('deleteToken') && methods.includes('updateUser'), `found ${methods.join(', ')}`);
    const unclassified = methods.filter((m) => !(m in STORE_SESSION_EFFECTS));
    assert.deepEqual(unclassified, [], `classify these in src/store/session-effects.ts: ${unclassified.join(', ')}`);
    assert.deepEqual(Object.keys(STORE_SESSION_EFFECTS).sort(), methods, 'no stale entries either');
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

  test('the wrapper reports a change after the write, even when the write fails, and none for reads', async () => {
    const calls: string[] = [];
    const fake = {
      async deleteToken(digest: string) { calls.push(`delete ${digest}`); return true; },
      async deleteUser() { calls.push('deleteUser'); throw new Error('connection lost after commit?'); },
      async findUserById() { calls.push('find'); return null; },
      async somethingNew() { calls.push('new'); },
    } as unknown as Store;
    const reported: unknown[] = [];
    const store = withSessionChanges(fake, (change) => reported.push(change), () => reported.push('unknown'));
    assert.equal(await store.deleteToken('abc'), true);
    await assert.rejects(store.deleteUser(7));
    await store.findUserById(1);
    await (store as unknown as { somethingNew(): Promise<void> }).somethingNew();
    assert.deepEqual(calls, ['delete abc', 'deleteUser', 'find', 'new']);
    assert.deepEqual(reported, [{ digests: ['abc'] }, { userIds: [7] }, 'unknown']);
  });
});
