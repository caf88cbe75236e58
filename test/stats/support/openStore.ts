// Child process: opens the SQLite statistics file argv[2] as a starting bridge does (creating and migrating it when needed).
import { openSqlite } from '../../../src/stats/sqliteStore.js';

await openSqlite(process.argv[2]!).close();
