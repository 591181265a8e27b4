import { sqliteStore } from '../support/databases.js';
import { storeConformance } from './conformance.js';
import { secondFactorConformance } from '../features/totp/second-factor-conformance.js';
import { organizationStoreConformance } from '../features/organizations/organization-store-conformance.js';
import { apiKeyConformance } from '../features/api-keys/api-key-conformance.js';
import { emailSignInConformance } from '../features/email-sign-in/store-conformance.js';

storeConformance('SQLite file', sqliteStore);
secondFactorConformance('SQLite file', sqliteStore);
organizationStoreConformance('SQLite file', sqliteStore);
apiKeyConformance('SQLite file', sqliteStore);
emailSignInConformance('SQLite file', sqliteStore);
