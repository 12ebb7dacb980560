// Imports the entry named in argv[2] and reports on stderr the process listeners that appeared meanwhile.
const watched = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'warning'];
const count = () => Object.fromEntries(watched.map((e) => [e, process.listenerCount(e)]));
const before = count();
const entry = await import(process.argv[2]);
const after = count();
process.stderr.write(`${JSON.stringify({ exports: Object.keys(entry).sort(), added: watched.filter((e) => after[e] !== before[e]) })}\n`);
