// The tracker behind the one global function `tl`. Every way in (commands,
// timers, browser events, the history hooks) runs inside `guard`, so nothing
// the tag does can throw into the host page.

import { campaignFrom, sameCampaign, CAMPAIGN_KEYS } from './campaign.js';
import { cookieJar } from './cookies.js';
import { uuid } from './ids.js';
import { parse, stringify } from './json.js';
import { createOutbox } from './outbox.js';
import { retryDelay, settle } from './transport.js';

const VISITOR_COOKIE = '_tl_v';
const SESSION_COOKIE = '_tl_s';
const CAMPAIGN_KEY = '_tl_c';
const OUTBOX_KEY = '_tl_q';
const VISITOR_MAX_AGE = 400 * 86400; // the longest cookie life browsers allow
const SESSION_MS = 30 * 60 * 1000;
const FLUSH_MS = 1000;
const LEASE_MS = 10000;
const MAX_BATCH_HITS = 25;
// keepalive requests and beacons share a 64 KiB budget per page; stay well under.
const MAX_BATCH_BYTES = 16000;
const OUTBOX_LIMIT = 200;
const hasOwn = Object.prototype.hasOwnProperty;

function storageOf(win) {
  try {
    const s = win.localStorage;
    s.setItem('_tl_t', '1');
    s.removeItem('_tl_t');
    return s;
  } catch (e) {
    return null;
  }
}

function clip(value, max) {
  return value == null ? undefined : String(value).slice(0, max);
}

function num(value) {
  if (typeof value === 'string' && value.replace(/\s/g, '') !== '' && isFinite(+value)) return +value;
  return value;
}

function pick(source, keys, into) {
  into = into || {};
  if (source && typeof source === 'object') {
    for (let i = 0; i < keys.length; i++) {
      const value = source[keys[i]];
      if (value !== undefined && value !== null) into[keys[i]] = value;
    }
  }
  return into;
}

export function createTracker(win, defaultEndpoint) {
  const doc = win.document;
  const nav = win.navigator || {};
  const loc = win.location;
  const storage = storageOf(win);
  const outbox = createOutbox(storage, OUTBOX_KEY, OUTBOX_LIMIT);
  let endpoint = defaultEndpoint;
  let mode = 'first_party';
  let token = null;
  let consent = null;
  let userId = null;
  let campaign = null;
  let campaignAt = 0;
  let newSession = false;
  let jar = null;
  let started = false;
  let debug = false;
  let timer = 0;
  let due = 0;
  let failures = 0;
  let batches = 0;
  const inflight = {};
  let lastUrl = '';
  let pageReferrer = '';
  const early = [];

  function fail(error) {
    try {
      if (debug && win.console) win.console.warn('[touchline]', error);
    } catch (e) {
      // nothing left to do
    }
  }

  function guard(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        fail(e);
      }
    };
  }

  // DNT, GPC or a denial: no cookie, no stored identifier, no identifier sent.
  function optedOut() {
    return consent === 'denied' || nav.doNotTrack === '1' || win.doNotTrack === '1' ||
      nav.globalPrivacyControl === true;
  }

  function forget() {
    if (jar) {
      jar.remove(VISITOR_COOKIE);
      jar.remove(SESSION_COOKIE);
    }
    try {
      if (storage) storage.removeItem(CAMPAIGN_KEY);
    } catch (e) {
      // storage went away; nothing is stored then
    }
  }

  // --- campaign kept for the session --------------------------------------------

  function loadCampaign() {
    if (optedOut() || !storage) return;
    try {
      const saved = parse(storage.getItem(CAMPAIGN_KEY) || 'null');
      if (saved && Date.now() - saved.t < SESSION_MS) {
        campaign = saved.c;
        campaignAt = saved.t;
      }
    } catch (e) {
      // unreadable: start without one
    }
  }

  // Called for every hit: the campaign lasts while the visit does (30 minutes
  // without a hit end it) and a landing URL with a new one replaces it.
  function noteCampaign(href) {
    const found = href ? campaignFrom(href) : null;
    const now = Date.now();
    if (now - campaignAt > SESSION_MS) campaign = null;
    if (found && !sameCampaign(found, campaign)) {
      campaign = found;
      newSession = true; // a new campaign starts a new session
    }
    campaignAt = now;
    if (!optedOut() && storage && campaign) {
      try {
        storage.setItem(CAMPAIGN_KEY, stringify({ c: campaign, t: now }));
      } catch (e) {
        // full storage: the campaign still travels with this page's hits
      }
    }
  }

  // --- identity ------------------------------------------------------------------

  function identity(hit) {
    if (optedOut() || mode !== 'first_party' || !jar) return;
    let visitor = jar.get(VISITOR_COOKIE);
    let session = jar.get(SESSION_COOKIE);
    if (!visitor) visitor = uuid(win.crypto);
    if (!session || newSession) session = uuid(win.crypto);
    newSession = false;
    jar.set(VISITOR_COOKIE, visitor, VISITOR_MAX_AGE);
    jar.set(SESSION_COOKIE, session, SESSION_MS / 1000);
    hit.visitor_id = visitor;
    hit.session_id = session;
  }

  // --- hits ------------------------------------------------------------------------

  function record(type, fields, url, referrer) {
    url = url || loc.href;
    noteCampaign(type === 'pageview' ? url : '');
    const hit = {
      type: type,
      hit_id: uuid(win.crypto),
      url: clip(url, 4096),
      referrer: clip(referrer === undefined ? pageReferrer : referrer, 4096) || undefined,
      title: clip(doc.title, 1024) || undefined,
      client_ts: new Date().toISOString(),
    };
    pick(campaign, CAMPAIGN_KEYS, hit);
    identity(hit);
    if (userId) hit.user_id = userId;
    if (optedOut()) hit.consent = 'denied';
    else if (consent) hit.consent = consent;
    for (const key in fields) if (hasOwn.call(fields, key) && fields[key] !== undefined) hit[key] = fields[key];
    outbox.add(hit);
    schedule(FLUSH_MS);
  }

  function pageview(url, referrer) {
    lastUrl = url;
    pageReferrer = referrer;
    record('pageview', {}, url, referrer);
  }

  // --- sending ---------------------------------------------------------------------

  // One timer, set for the earliest time anything asked to send.
  function schedule(delay) {
    const at = Date.now() + delay;
    if (timer && due <= at) return;
    if (timer) win.clearTimeout(timer);
    due = at;
    timer = win.setTimeout(guard(() => {
      timer = 0;
      flush(false);
    }), delay);
  }

  function healthy() {
    return !failures && nav.onLine !== false;
  }

  function flush(leaving) {
    if (!token) return;
    if (leaving) {
      // After a failure nothing is sent as the page goes: the answer would be
      // lost with it, so the queue keeps the hits for the site's next page.
      if (!healthy()) return;
      // The browser finishes requests in flight after the page is gone; while
      // the collector has been answering they count as delivered.
      for (const id in inflight) if (hasOwn.call(inflight, id)) outbox.remove(inflight[id]);
    }
    // A few batches at a time: keepalive requests share a small byte budget.
    for (let n = 0; n < 3; n++) {
      const hits = outbox.take(Date.now(), LEASE_MS, MAX_BATCH_HITS, MAX_BATCH_BYTES);
      if (!hits.length) {
        // Hits leased by a tab that closed mid-send are ours once the lease ends.
        if (!leaving && outbox.waiting()) schedule(LEASE_MS);
        return;
      }
      send(hits, leaving);
    }
    schedule(FLUSH_MS);
  }

  function send(hits, leaving) {
    const body = stringify({ token: token, sent_at: new Date().toISOString(), hits: hits });
    const cookieless = optedOut();
    if (leaving) {
      outbox.remove(hits);
      // A beacon outlives the page but never says whether it arrived, hence
      // only here; it always carries cookies, so not for opted-out visitors.
      let queued = false;
      try {
        queued = !cookieless && !!nav.sendBeacon && nav.sendBeacon(endpoint, body);
      } catch (e) {
        queued = false;
      }
      if (queued) return;
    }
    if (!win.fetch) {
      outbox.release(hits);
      return;
    }
    const id = ++batches;
    inflight[id] = hits;
    const done = guard((status) => {
      delete inflight[id];
      if (settle(status) === 'retry') {
        outbox.release(hits); // also brings back hits handed off when the page was hidden
        failures++;
        schedule(retryDelay(failures));
      } else {
        outbox.remove(hits);
        failures = 0;
        if (outbox.size(Date.now())) schedule(0);
      }
    });
    win.fetch(endpoint, {
      method: 'POST',
      body: body, // a string: text/plain, so no CORS preflight
      keepalive: true,
      credentials: mode === 'collector' && !cookieless ? 'include' : 'omit',
    }).then((response) => {
      done(response.status);
      if (debug && response.status >= 300) response.text().then(guard((text) => fail(text)));
    }, () => done(0));
  }

  // --- automatic pageviews -----------------------------------------------------------

  function pathOf(href) {
    const hash = href.indexOf('#');
    return hash < 0 ? href : href.slice(0, hash);
  }

  function navigated() {
    const href = loc.href;
    if (pathOf(href) === pathOf(lastUrl)) return;
    const previous = lastUrl;
    lastUrl = href;
    // Routers set the new title right after changing the URL.
    win.setTimeout(guard(() => pageview(href, previous)), 0);
  }

  function hookHistory() {
    const history = win.history;
    const wrap = (name) => {
      const original = history && history[name];
      if (typeof original !== 'function') return;
      history[name] = function () {
        // The page's own call runs unguarded: its errors are the page's to see.
        const result = original.apply(this, arguments);
        try {
          navigated();
        } catch (e) {
          fail(e);
        }
        return result;
      };
    };
    wrap('pushState');
    wrap('replaceState');
    win.addEventListener('popstate', guard(navigated));
  }

  function start(autoPageview) {
    loadCampaign();
    if (optedOut()) forget(); // identifiers from before DNT or a denial go now
    win.addEventListener('pagehide', guard(() => flush(true)));
    doc.addEventListener('visibilitychange', guard(() => {
      if (doc.visibilityState === 'hidden') flush(true);
    }));
    win.addEventListener('online', guard(() => {
      failures = 0;
      flush(false);
    }));
    if (autoPageview) {
      hookHistory();
      pageview(loc.href, doc.referrer);
    } else {
      lastUrl = loc.href;
      pageReferrer = doc.referrer;
    }
    schedule(outbox.size(Date.now()) ? 0 : FLUSH_MS);
  }

  // --- commands ------------------------------------------------------------------------

  function setConsent(value) {
    consent = value === 'denied' || value === false ? 'denied' : 'granted';
    if (consent === 'denied') forget();
  }

  function whenSeen(element, fields) {
    if (!win.IntersectionObserver || !element || element.nodeType !== 1) {
      record('impression', fields);
      return;
    }
    const observer = new win.IntersectionObserver(guard((entries) => {
      for (let i = 0; i < entries.length; i++) {
        if (entries[i].isIntersecting) {
          observer.disconnect();
          record('impression', fields);
          return;
        }
      }
    }), { threshold: 0.5 });
    observer.observe(element);
  }

  const commands = {
    init(options) {
      options = options || {};
      if (options.token) token = String(options.token);
      if (options.endpoint) endpoint = String(options.endpoint);
      if (options.cookies === 'collector') mode = 'collector';
      if (options.consent) setConsent(options.consent);
      if (options.debug) debug = true;
      if (started) return;
      started = true;
      jar = cookieJar(doc, loc.protocol === 'https:', options.cookie_domain);
      start(options.auto_pageview !== false);
      for (let i = 0; i < early.length; i++) run(early[i]);
    },
    pageview(options) {
      const url = (options && options.url) || loc.href;
      pageview(url, lastUrl || doc.referrer);
    },
    event(o) {
      const fields = pick(o, ['category', 'action', 'label']);
      if (o && o.value != null) fields.value = num(o.value);
      record('event', fields);
    },
    sale(o) {
      o = o || {};
      const fields = pick(o, ['currency']);
      if (o.order_id != null) fields.order_id = String(o.order_id);
      if (o.revenue != null) fields.revenue = num(o.revenue);
      const items = o.items;
      if (items && typeof items.length === 'number') {
        const list = [];
        for (let i = 0; i < items.length; i++) {
          const item = pick(items[i], ['sku', 'name']);
          if (items[i] && items[i].price != null) item.price = num(items[i].price);
          if (items[i] && items[i].quantity != null) item.quantity = num(items[i].quantity);
          list[list.length] = item;
        }
        fields.items = list;
      }
      record('sale', fields);
    },
    label(key, value) {
      record('label', typeof key === 'object' && key ? pick(key, ['key', 'value']) : { key: key, value: value });
    },
    identify(user, traits) {
      if (user && typeof user === 'object') {
        traits = user.traits;
        user = user.user_id;
      }
      if (user == null || user === '') throw new Error('identify needs a user id');
      userId = String(user);
      record('identify', { traits: traits && typeof traits === 'object' ? pick(traits, Object.keys(traits)) : {} });
    },
    consent(value) {
      setConsent(value && typeof value === 'object' ? value.status : value);
    },
    impression(target, fields) {
      if (target && target.nodeType === 1) whenSeen(target, pick(fields, ['campaign', 'creative', 'placement']));
      else record('impression', pick(target, ['campaign', 'creative', 'placement']));
    },
    debug(on) {
      debug = on !== false;
    },
  };

  function run(args) {
    const name = args[0];
    if (!hasOwn.call(commands, name)) throw new Error('unknown command: ' + name);
    if (!started && name !== 'init' && name !== 'consent' && name !== 'debug') {
      early[early.length] = args;
      return;
    }
    commands[name](args[1], args[2]);
  }

  return { run: run, fail: fail };
}
