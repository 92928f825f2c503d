// Runs every test file with Node's test runner (TypeScript through tsx). Node 20 has no glob
// support in --test, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages'];
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.test.ts')) files.push(path);
  }
};
roots.forEach(walk);
files.sort();
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
// `*.serial.test.ts` files disturb what every test shares (they restart PostgreSQL): they run alone, after the rest.
const serial = selected.filter((f) => f.endsWith('.serial.test.ts'));
const parallel = selected.filter((f) => !serial.includes(f));
console.log(`Running ${selected.length} test files (${serial.length} on their own, after the others)`);
const run = (files, concurrency) => files.length ? spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' }).status ?? 1 : 0;
const parallelStatus = run(parallel, 2);
const serialStatus = run(serial, 1);
process.exit(parallelStatus || serialStatus);
