// Postgres goes away for a few seconds under load and comes back (test/support/database-fault.ts).
import { databaseFaultScenario, outage } from '../support/database-fault.js';

databaseFaultScenario(outage);
