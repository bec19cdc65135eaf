import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieJar, domainCandidates, readCookie } from '../src/cookies.js';

test('domain candidates go from the shortest suffix to the full host', () => {
  assert.deepEqual(domainCandidates('www.shop.example.co.uk'), [
    'co.uk', 'example.co.uk', 'shop.example.co.uk', 'www.shop.example.co.uk',
  ]);
  assert.deepEqual(domainCandidates('localhost'), []);
  assert.deepEqual(domainCandidates('127.0.0.1'), []);
  assert.deepEqual(domainCandidates('::1'), []);
});

test('readCookie finds a cookie among others and decodes it', () => {
  assert.equal(readCookie('a=1; _tl_v=abc%20d; b=2', '_tl_v'), 'abc d');
  assert.equal(readCookie('x_tl_v=no', '_tl_v'), null);
  assert.equal(readCookie('', '_tl_v'), null);
});

// A stand-in for document.cookie with the one browser rule that matters here:
// a cookie for a public suffix is refused.
function fakeDocument(hostname, publicSuffixes) {
  const jar = new Map();
  const writes = [];
  return {
    writes,
    location: { hostname },
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(text) {
      writes.push(text);
      const [pair, ...attrs] = text.split('; ');
      const [name, value] = pair.split('=');
      const domain = attrs.find((a) => a.startsWith('domain='));
      if (domain && publicSuffixes.includes(domain.slice(7))) return;
      if (attrs.includes('max-age=0')) jar.delete(name);
      else jar.set(name, value);
    },
  };
}

test('the jar sets cookies on the registrable domain, not on a public suffix', () => {
  const doc = fakeDocument('www.shop.example.co.uk', ['uk', 'co.uk']);
  const jar = cookieJar(doc, true);
  jar.set('_tl_v', 'visitor-1', 100);
  assert.equal(jar.get('_tl_v'), 'visitor-1');
  const last = doc.writes.at(-1);
  assert.match(last, /domain=example\.co\.uk/);
  assert.match(last, /SameSite=Lax; Secure$/);
  jar.remove('_tl_v');
  assert.equal(jar.get('_tl_v'), null);
});

test('an explicit cookie domain wins; a bare host gets a host-only cookie', () => {
  const doc = fakeDocument('www.example.com', ['com']);
  cookieJar(doc, false, 'www.example.com').set('_tl_s', 's', 1800);
  assert.match(doc.writes.at(-1), /domain=www\.example\.com; SameSite=Lax$/);
  const local = fakeDocument('localhost', []);
  cookieJar(local, false).set('_tl_s', 's', 1800);
  assert.doesNotMatch(local.writes.at(-1), /domain=/);
  assert.equal(readCookie(local.cookie, '_tl_s'), 's');
});
