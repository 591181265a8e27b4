import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A key prefix of the run's own (`fu-<label>-<random>:`): test files and other engineers share the server. */
export function uniqueKeyPrefix(label: string): string {
  return `fu-${label}-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (the run's own keys only). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
