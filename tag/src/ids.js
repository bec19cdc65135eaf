// Random version-4 UUIDs. crypto.randomUUID exists only in secure contexts,
// getRandomValues everywhere; Math.random is the last resort for old browsers.
export function uuid(cryptoObj) {
  const bytes = new Uint8Array(16);
  if (cryptoObj && cryptoObj.getRandomValues) cryptoObj.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = (Math.random() * 256) | 0;
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += (bytes[i] + 0x100).toString(16).slice(1);
  }
  return out;
}
