import { sqliteStore } from '../support/databases.js';
import { storeConformance } from './conformance.js';
import { secondFactorConformance } from '../features/totp/second-factor-conformance.js';

storeConformance('SQLite file', sqliteStore);
secondFactorConformance('SQLite file', sqliteStore);
