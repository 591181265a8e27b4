import { countInRange, type RangeKey } from './sha1-range.js';

/** Have I Been Pwned's range API. */
export const DEFAULT_RANGE_API_URL = 'https://api.pwnedpasswords.com';
/** Short: a registration waits for it, and an answer that late is treated as none (fail open). */
export const DEFAULT_RANGE_API_TIMEOUT_MS = 2000;

/**
 * The Pwned Passwords range API (k-anonymity): `GET <base>/range/<PREFIX>` sends only the first
 * five hex digits of the password's SHA-1 and gets every suffix under it back; the match is made
 * here. `Add-Padding: true` asks for padding lines (count 0) so the response size does not hint
 * at the prefix (Have I Been Pwned API v3 docs, "Padding").
 */
export class RangeAPI {
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs: number = DEFAULT_RANGE_API_TIMEOUT_MS,
  ) {}

  /** How often the password's hash appears (0: not found); throws on any failure to get an answer. */
  async count(key: RangeKey): Promise<number> {
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/range/${key.prefix}`, {
      headers: { 'Add-Padding': 'true', Accept: 'text/plain' },
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`range API answered ${response.status}`);
    }
    return countInRange(await response.text(), key.suffix);
  }
}
