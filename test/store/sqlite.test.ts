import { sqliteStore } from '../support/databases.js';
import { storeConformance } from './conformance.js';
import { secondFactorConformance } from './second-factor-conformance.js';

storeConformance('SQLite file', sqliteStore);
secondFactorConformance('SQLite file', sqliteStore);
