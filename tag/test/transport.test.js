import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelay, settle } from '../src/transport.js';

test('only answers that may change later are retried', () => {
  for (const status of [0, 408, 425, 429, 500, 502, 503]) assert.equal(settle(status), 'retry', String(status));
  for (const status of [200, 204, 400, 401, 403, 413]) assert.equal(settle(status), 'sent', String(status));
});

test('backoff doubles from one second up to ten', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 9].map(retryDelay), [1000, 2000, 4000, 8000, 10000, 10000]);
});
