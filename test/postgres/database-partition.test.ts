// The network to Postgres goes silent under load and comes back (test/support/database-fault.ts).
import { databaseFaultScenario, partition } from '../support/database-fault.js';

databaseFaultScenario(partition);
