import { Redis } from 'ioredis';

/** Deletes every key under `prefix` (the run's own keys only: other engineers share the server). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
