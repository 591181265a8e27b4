import type { User } from './user.js';

/**
 * A frozen copy of a user that holds its `Date` fields as epoch milliseconds, for the session
 * cache. A `Date` takes about 130 bytes of V8 heap, and a user has two: over a third of a cached
 * session (docs/session-cache.md, "Memory"). Each date field becomes an own, enumerable getter
 * answering a new `Date` of the same instant, so reading, spreading, `JSON.stringify` and deep
 * equality see the same fields and values as the original; the milliseconds sit in
 * non-enumerable symbol-keyed properties that none of those copy.
 */
export function compactUser(user: User): Readonly<User> {
  const compact = new (CompactUser as unknown as new () => Record<string | symbol, unknown>)();
  // Every own field, whatever User gains later: only the Date-valued ones change shape.
  for (const key of Object.keys(user)) {
    const value = (user as unknown as Record<string, unknown>)[key];
    if (value instanceof Date) {
      const slot = msSlot(key);
      Object.defineProperty(compact, slot.symbol, { value: value.getTime() });
      Object.defineProperty(compact, key, { enumerable: true, get: slot.get });
    } else {
      compact[key] = value;
    }
  }
  return Object.freeze(compact) as unknown as Readonly<User>;
}

/**
 * Made with `new`, so V8 sizes the object for the fields it ends up with (slack tracking) and
 * keeps them all inside it, where a `{}` filled one by one spills past four into a second array
 * (~40 bytes more). Its prototype is Object's: to every reader it is a plain object.
 */
function CompactUser(): void {}
CompactUser.prototype = Object.prototype;

interface MsSlot {
  symbol: symbol;
  get: (this: Record<symbol, number>) => Date;
}

/**
 * A symbol and a getter per field name, shared by every compact user: V8 then gives all of them
 * the same hidden class, and the getter costs no memory per user.
 */
const slots = new Map<string, MsSlot>();
function msSlot(key: string): MsSlot {
  let slot = slots.get(key);
  if (!slot) {
    const symbol = Symbol(`${key} (epoch ms)`);
    slot = {
      symbol,
      get: function (this: Record<symbol, number>) {
        return new Date(this[symbol]!);
      },
    };
    slots.set(key, slot);
  }
  return slot;
}
