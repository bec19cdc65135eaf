import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = dirname(dirname(fileURLToPath(import.meta.url)));

function runBuild(...args) {
  const outdir = mkdtempSync(join(tmpdir(), 'tl-tag-'));
  const run = spawnSync(process.execPath, [join(here, 'build.mjs'), '--outdir', outdir, ...args], {
    encoding: 'utf8',
  });
  return { ...run, outdir };
}

test('the build prints the gzipped size and stays within 6 KB', () => {
  const run = runBuild();
  assert.equal(run.status, 0, run.stderr);
  const match = run.stdout.match(/(\d+) bytes gzipped \(budget 6144\)/);
  assert.ok(match, run.stdout);
  assert.ok(Number(match[1]) <= 6144);
  const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.gzip_bytes, Number(match[1]));
  assert.match(manifest.version, /^\d+\.\d+\.\d+-[0-9a-f]{10}$/);
});

test('the build fails above the budget, prints the size and writes nothing', () => {
  const run = runBuild('--max-gzip-bytes', '1000');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /tag\.js is \d+ bytes gzipped, over the budget of 1000 bytes/);
  assert.ok(!existsSync(join(run.outdir, 'tag.js')));
});

test('the bundle defines only `tl` and survives a window that lacks nearly everything', () => {
  const run = runBuild();
  const code = readFileSync(join(run.outdir, 'tag.js'), 'utf8');
  const calls = [];
  const stub = function () {
    (stub.q = stub.q || []).push(arguments);
  };
  const window = { tl: stub, document: {}, location: {}, navigator: {} };
  window.window = window;
  const context = vm.createContext(window);
  const before = new Set(Object.keys(window));
  stub('init', { token: 't' });
  stub('event', { category: 'c', action: 'a' });
  assert.doesNotThrow(() => vm.runInContext(code, context));
  assert.equal(typeof window.tl, 'function');
  assert.deepEqual(Object.keys(window).filter((k) => !before.has(k)), [], 'no new globals');
  assert.doesNotThrow(() => window.tl('nonsense', 1, 2));
  assert.doesNotThrow(() => window.tl('sale', { get order_id() { throw new Error('boom'); } }));
  assert.equal(calls.length, 0);
});
