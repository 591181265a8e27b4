/** Days security events are kept (docs/audit.md); older ones are pruned with the periodic purge of expired tokens. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
