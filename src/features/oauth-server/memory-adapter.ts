/**
 * The provider's state in this process's memory: the default when no store adapter is given
 * (one instance; a restart ends every grant). One map per engine — oidc-provider's own memory
 * adapter keeps a single module-wide map, shared by every provider in the process.
 */

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider payloads are open records
type Payload = Record<string, any>;

interface Entry {
  payload: Payload;
  /** Epoch ms; none for records that do not expire (clients). */
  expiresAt: number | undefined;
}

/** The models whose records belong to a grant, revoked with it (oidc-provider's `revokeByGrantId`). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** An oidc-provider adapter class over one private store, and a way to list what it holds. */
export function memoryAdapter(now: () => number = Date.now) {
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();

  function read(key: string): Payload | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  class MemoryAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    key(id: string): string {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      entries.set(key, { payload: { ...payload }, expiresAt: expiresIn ? now() + expiresIn * 1000 : undefined });
      if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string') {
        const keys = byGrant.get(payload.grantId) ?? new Set<string>();
        keys.add(key);
        byGrant.set(payload.grantId, keys);
      }
      if (this.model === 'Session' && typeof payload.uid === 'string') byUid.set(payload.uid, id);
      if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
    }
    async find(id: string): Promise<Payload | undefined> {
      return read(this.key(id));
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = byUid.get(uid);
      return id === undefined ? undefined : read(this.key(id));
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = byUserCode.get(userCode);
      return id === undefined ? undefined : read(this.key(id));
    }
    async consume(id: string): Promise<void> {
      const payload = read(this.key(id));
      if (payload) payload.consumed = Math.floor(now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      entries.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
      byGrant.delete(grantId);
      entries.delete(`Grant:${grantId}`);
    }
  }

  return {
    Adapter: MemoryAdapter,
    /** The live records of one model (e.g. every `Client`), for listings. */
    list(model: string): Payload[] {
      const found: Payload[] = [];
      for (const key of [...entries.keys()]) {
        if (!key.startsWith(`${model}:`)) continue;
        const payload = read(key);
        if (payload) found.push(payload);
      }
      return found;
    },
  };
}
