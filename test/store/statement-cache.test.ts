import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { describe, test } from 'node:test';
import { cachingStatements } from '../../src/store/sql/database.js';

describe('SQLite prepared-statement cache', () => {
  test('one statement per SQL text, reused with new parameters; least recently used dropped past capacity', () => {
    const sqlite = new BetterSqlite3(':memory:');
    const db = cachingStatements(sqlite, 2);
    db.prepare('create table t (v integer)').run([]);
    const insert = db.prepare('insert into t (v) values (?)');
    insert.run([1]);
    assert.equal(db.prepare('insert into t (v) values (?)'), insert, 'same SQL, same statement');
    db.prepare('insert into t (v) values (?)').run([2]);
    const select = db.prepare('select v from t order by v');
    assert.deepEqual(select.all([]), [{ v: 1 }, { v: 2 }]);
    // Capacity 2: `create`, then `insert` and `select` were used last; a third text evicts `insert`.
    db.prepare('select count(*) as n from t');
    assert.equal(db.prepare('select v from t order by v'), select, 'recently used: kept');
    assert.notEqual(db.prepare('insert into t (v) values (?)'), insert, 'least recently used: prepared again');
    db.close();
    assert.equal(sqlite.open, false, 'close closes the connection');
  });
});
