// Child process for the crash test: writes batches of 1000 session rows (a SessionRow each) into the SQLite
// file argv[3], with the built module argv[2], as fast as it can, printing each batch's number once its
// transaction committed, until it is killed.
const { openSqlite } = await import(process.argv[2]);

const database = openSqlite(process.argv[3]);
const row = (batch, i) => ({
  id: `${batch}-${i}`,
  route: 'default',
  protocol: 'cesbo',
  caller: '127.0.0.1',
  session: `${batch}-${i}`,
  user: `user${i % 50}`,
  channel: `ch${i % 7}`,
  ip: '203.0.113.7',
  firstSeen: 1_000 * batch,
  lastSeen: 1_000 * batch + 500,
  decision: 'allow',
  by: 'backend',
  allowed: true,
});
for (let batch = 1; ; batch++) {
  await database.write(Array.from({ length: 1000 }, (_, i) => row(batch, i)));
  process.stdout.write(`committed ${batch}\n`);
}
