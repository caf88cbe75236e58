// Child process: opens the SQLite statistics file argv[3] as a starting bridge does (creating and migrating
// it when needed), with the built module argv[2] (plain node: no TypeScript loader to start).
const { openSqlite } = await import(process.argv[2]);

await openSqlite(process.argv[3]).close();
