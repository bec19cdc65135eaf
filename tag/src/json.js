// A JSON encoder of our own: host pages replace JSON.stringify and add
// Array.prototype.toJSON (old Prototype.js, MooTools), which corrupts hits.
// Plain loops only, for the same reason: Array.prototype methods may be replaced.

const hasOwn = Object.prototype.hasOwnProperty;
const toStr = Object.prototype.toString;
const ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quote(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    const code = s.charCodeAt(i);
    if (ESCAPES[c]) out += ESCAPES[c];
    else if (code < 32) out += '\\u' + (code + 0x10000).toString(16).slice(1);
    else out += c;
  }
  return out + '"';
}

// Returns undefined for values JSON has no place for (functions, undefined),
// like JSON.stringify; cycles and absurd depth become null instead of throwing.
export function stringify(value, depth) {
  depth = depth || 0;
  if (value === null || depth > 20) return 'null';
  const kind = typeof value;
  if (kind === 'string') return quote(value);
  if (kind === 'number') return isFinite(value) ? String(value) : 'null';
  if (kind === 'boolean') return value ? 'true' : 'false';
  if (kind !== 'object') return undefined;
  const tag = toStr.call(value);
  if (tag === '[object Date]') return isFinite(value.getTime()) ? quote(value.toISOString()) : 'null';
  if (tag === '[object Array]') {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = stringify(value[i], depth + 1);
      out += (i ? ',' : '') + (item === undefined ? 'null' : item);
    }
    return out + ']';
  }
  let out = '';
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item = stringify(value[key], depth + 1);
    if (item !== undefined) out += (out ? ',' : '') + quote(key) + ':' + item;
  }
  return '{' + out + '}';
}

// Taken when the tag loads, before later page code can replace it.
export const parse = JSON.parse;

// A page may have replaced it before the tag loaded; then nothing is kept in
// storage, because it could not be read back.
export function parseWorks() {
  try {
    const value = parse('{"a":[1,"x"]}');
    return !!value && !!value.a && value.a[0] === 1 && value.a[1] === 'x';
  } catch (e) {
    return false;
  }
}
