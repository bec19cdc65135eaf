// The retry queue: every hit is written here before it is sent and removed only
// once the collector has answered for it, so a closed tab, a failed request or
// an offline phone loses nothing. Kept in localStorage (shared by the site's
// tabs), bounded, and leased while in flight so two tabs never send one hit at
// the same time. Without storage it lives in memory for the page's lifetime.

import { parse, parseWorks, stringify } from './json.js';

export function createOutbox(storage, key, limit) {
  let memory = [];
  if (!parseWorks()) storage = null;

  function load() {
    if (!storage) return memory;
    let text;
    try {
      text = storage.getItem(key);
    } catch (e) {
      storage = null; // unreadable from now on: this page keeps its queue in memory
      return memory;
    }
    try {
      const list = text ? parse(text) : [];
      return Object.prototype.toString.call(list) === '[object Array]' ? list : [];
    } catch (e) {
      return []; // garbage from someone else: start over rather than fail forever
    }
  }

  function save(list) {
    memory = list;
    try {
      if (storage) {
        if (list.length) storage.setItem(key, stringify(list));
        else storage.removeItem(key);
      }
    } catch (e) {
      storage = null; // quota or privacy mode: the memory copy still gets the hits out
    }
  }

  function keep(list, test) {
    const out = [];
    for (let i = 0; i < list.length; i++) if (test(list[i])) out[out.length] = list[i];
    return out;
  }

  return {
    add(hit) {
      let list = load();
      list[list.length] = { h: hit, l: 0 };
      // The oldest hits go first when the queue is full: the newest say most
      // about a visit still in progress, and the bound keeps storage small.
      if (list.length > limit) {
        const trimmed = [];
        for (let i = list.length - limit; i < list.length; i++) trimmed[trimmed.length] = list[i];
        list = trimmed;
      }
      save(list);
    },

    // Lease up to `maxHits` hits (and about `maxBytes` of JSON) that no one is sending.
    take(now, leaseMs, maxHits, maxBytes) {
      const list = load();
      const hits = [];
      let bytes = 0;
      for (let i = 0; i < list.length && hits.length < maxHits; i++) {
        const item = list[i];
        if (!item || !item.h || item.l > now) continue;
        const size = stringify(item.h).length;
        if (hits.length && bytes + size > maxBytes) break;
        bytes += size;
        item.l = now + leaseMs;
        hits[hits.length] = item.h;
      }
      if (hits.length) save(list);
      return hits;
    },

    // Forget hits the collector answered for (accepted, or refused for good).
    remove(hits) {
      const gone = idSet(hits);
      save(keep(load(), (item) => !(item && item.h && gone[item.h.hit_id])));
    },

    // Make hits sendable again after a failed attempt; hits already handed
    // off (removed when the page was hidden) come back.
    release(hits) {
      const back = idSet(hits);
      const list = load();
      for (let i = 0; i < list.length; i++) {
        if (list[i] && list[i].h && back[list[i].h.hit_id]) {
          list[i].l = 0;
          back[list[i].h.hit_id] = 0;
        }
      }
      for (let i = 0; i < hits.length; i++) if (back[hits[i].hit_id]) list[list.length] = { h: hits[i], l: 0 };
      save(list);
    },

    // How many hits are waiting, and how many of those no one is sending at `now`.
    size(now) {
      const list = load();
      let n = 0;
      for (let i = 0; i < list.length; i++) if (list[i] && list[i].l <= now) n++;
      return n;
    },

    waiting() {
      return load().length;
    },
  };
}

function idSet(hits) {
  const set = {};
  for (let i = 0; i < hits.length; i++) set[hits[i].hit_id] = 1;
  return set;
}
