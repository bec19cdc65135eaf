import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createOutbox } from '../src/outbox.js';

// localStorage's interface over a Map, shared between "tabs" like the real one.
function memoryStorage() {
  const data = new Map();
  return {
    data,
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

const hit = (n) => ({ type: 'event', hit_id: `id-${n}`, action: `a${n}` });

test('hits stay queued until removed, and a lease hides them from other senders', () => {
  const storage = memoryStorage();
  const tabA = createOutbox(storage, 'q', 200);
  const tabB = createOutbox(storage, 'q', 200);
  tabA.add(hit(1));
  tabA.add(hit(2));
  const taken = tabA.take(1000, 15000, 20, 16000);
  assert.deepEqual(taken.map((h) => h.hit_id), ['id-1', 'id-2']);
  assert.deepEqual(tabB.take(2000, 15000, 20, 16000), [], 'leased hits are not sent twice');
  assert.equal(tabB.take(20000, 15000, 20, 16000).length, 2, 'an expired lease frees them');
  assert.equal(tabB.waiting(), 2);
  tabA.remove(taken);
  assert.equal(tabB.size(99999), 0);
  assert.equal(tabB.waiting(), 0);
  assert.equal(storage.data.has('q'), false, 'an empty queue leaves nothing in storage');
});

test('a failed attempt releases hits for the next one', () => {
  const box = createOutbox(memoryStorage(), 'q', 200);
  box.add(hit(1));
  const taken = box.take(0, 15000, 20, 16000);
  assert.equal(box.take(1, 15000, 20, 16000).length, 0);
  box.release(taken);
  assert.deepEqual(box.take(2, 15000, 20, 16000).map((h) => h.hit_id), ['id-1']);
});

test('batches respect the hit and byte limits', () => {
  const box = createOutbox(memoryStorage(), 'q', 200);
  for (let i = 0; i < 30; i++) box.add(hit(i));
  assert.equal(box.take(0, 1000, 20, 1e6).length, 20);
  assert.equal(box.take(0, 1000, 20, 1e6).length, 10);
  const big = createOutbox(memoryStorage(), 'q', 200);
  for (let i = 0; i < 5; i++) big.add({ hit_id: `b${i}`, blob: 'x'.repeat(100) });
  assert.equal(big.take(0, 1000, 20, 250).length, 2);
  const huge = createOutbox(memoryStorage(), 'q', 200);
  huge.add({ hit_id: 'h', blob: 'x'.repeat(1000) });
  assert.equal(huge.take(0, 1000, 20, 250).length, 1, 'one oversized hit still goes alone');
});

test('the queue is bounded: the oldest hits give way', () => {
  const storage = memoryStorage();
  const box = createOutbox(storage, 'q', 5);
  for (let i = 0; i < 8; i++) box.add(hit(i));
  assert.deepEqual(box.take(0, 1000, 20, 1e6).map((h) => h.hit_id), ['id-3', 'id-4', 'id-5', 'id-6', 'id-7']);
});

test('without working storage the queue lives in memory', () => {
  const broken = {
    getItem() { throw new Error('SecurityError'); },
    setItem() { throw new Error('QuotaExceededError'); },
    removeItem() { throw new Error('SecurityError'); },
  };
  for (const storage of [broken, null]) {
    const box = createOutbox(storage, 'q', 200);
    box.add(hit(1));
    assert.deepEqual(box.take(0, 1000, 20, 1e6).map((h) => h.hit_id), ['id-1']);
  }
});

test('garbage in storage is replaced, not thrown', () => {
  const storage = memoryStorage();
  storage.setItem('q', '{not json');
  const box = createOutbox(storage, 'q', 200);
  box.add(hit(1));
  assert.equal(box.size(0), 1);
  storage.setItem('q', '{"an":"object"}');
  assert.equal(box.size(0), 0);
});

test('hits handed off when the page was hidden come back if that send fails', () => {
  const box = createOutbox(memoryStorage(), 'q', 200);
  box.add(hit(1));
  box.add(hit(2));
  const taken = box.take(0, 15000, 20, 16000);
  box.remove(taken); // handed to the browser as the page went away
  box.add(hit(3));
  box.release(taken); // … but the page lived on and the request failed
  assert.deepEqual(box.take(1, 15000, 20, 16000).map((h) => h.hit_id).sort(), ['id-1', 'id-2', 'id-3']);
});

test('with JSON.parse broken before the tag loads, the queue stays in memory and keeps every hit', () => {
  // A fresh process: the tag captures JSON.parse when its modules load.
  const script = `
    JSON.parse = () => 'hijacked by the page';
    const { createOutbox } = await import(${JSON.stringify(new URL('../src/outbox.js', import.meta.url).href)});
    const data = new Map();
    const storage = { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, v), removeItem: (k) => data.delete(k) };
    const box = createOutbox(storage, 'q', 200);
    box.add({ hit_id: 'id-1' });
    box.add({ hit_id: 'id-2' });
    const ids = box.take(0, 1000, 20, 1e6).map((h) => h.hit_id);
    console.log(ids.join(',') + ' stored:' + data.size);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout.trim(), 'id-1,id-2 stored:0');
});
