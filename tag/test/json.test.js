import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from '../src/json.js';

const nativeStringify = JSON.stringify;

test('encodes like JSON.stringify', () => {
  const values = [
    { a: 1, b: 'two', c: [1, 'x', null, true], d: { e: -0.5, f: false } },
    'quote " backslash \\ newline \n tab \t bell \u0007 unicode é ☃ 😀',
    [undefined, () => 1, NaN, Infinity],
    { skipped: undefined, fn() {}, kept: 0 },
    new Date(Date.UTC(2026, 10, 22, 12, 0, 0)),
    [],
    {},
  ];
  for (const value of values) assert.equal(stringify(value), nativeStringify(value));
});

test('round-trips through JSON.parse', () => {
  const hit = { type: 'sale', items: [{ sku: 'A-1', price: 19.9, quantity: 2 }], title: 'Ünïcode\u2028line' };
  assert.deepEqual(JSON.parse(stringify(hit)), hit);
});

test('ignores toJSON that host pages add to Array.prototype', () => {
  Array.prototype.toJSON = function () {
    return 'broken by the page';
  };
  try {
    assert.equal(stringify({ hits: [1, 2] }), '{"hits":[1,2]}');
  } finally {
    delete Array.prototype.toJSON;
  }
});

test('skips enumerable properties inherited from Object.prototype', () => {
  Object.prototype.injected = 'x';
  try {
    assert.equal(stringify({ a: 1 }), '{"a":1}');
  } finally {
    delete Object.prototype.injected;
  }
});

test('a cycle becomes null instead of throwing', () => {
  const a = { name: 'a' };
  a.self = a;
  assert.doesNotThrow(() => JSON.parse(stringify(a)));
});
