// What to do with a batch once the collector answered with `status` (0: no
// answer at all: offline, collector down, request cut off).
export function settle(status) {
  if (status >= 200 && status < 300) return 'sent'; // accepted, or refused for good per hit
  if (!status || status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  // 400/401/403/413: a bad token, a foreign domain or invalid hits; sending
  // them again cannot succeed and would only fill the bounded queue.
  return 'sent';
}

// Backoff after `failures` failed attempts in a row: 1 s, 2 s, 4 s … capped at 10 s,
// short enough that a phone coming out of a tunnel catches up quickly.
export function retryDelay(failures) {
  return Math.min(10000, 1000 * Math.pow(2, Math.max(0, failures - 1)));
}
