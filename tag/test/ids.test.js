import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { uuid } from '../src/ids.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('version-4 UUIDs from crypto.getRandomValues, all distinct', () => {
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const id = uuid(webcrypto);
    assert.match(id, V4);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('falls back to Math.random without crypto', () => {
  assert.match(uuid(undefined), V4);
  assert.notEqual(uuid(undefined), uuid(undefined));
});
