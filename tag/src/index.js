// Entry point: replaces the snippet's queueing stub `tl` with the tracker and
// replays what was queued. `tl` is the only global the tag creates.

import { createTracker } from './tracker.js';

(function (win) {
  try {
    const existing = win.tl;
    if (existing && existing.loaded) return; // the snippet pasted twice
    const script = win.document.currentScript;
    let endpoint = '/collect';
    if (script && script.src) endpoint = new URL('/collect', script.src).href;
    const tracker = createTracker(win, endpoint);
    const tl = function () {
      try {
        tracker.run(arguments);
      } catch (e) {
        tracker.fail(e);
      }
    };
    tl.loaded = true;
    const queued = (existing && existing.q) || [];
    win.tl = tl;
    for (let i = 0; i < queued.length; i++) tl.apply(null, queued[i]);
  } catch (e) {
    // The page must never see the tag fail.
  }
})(window);
