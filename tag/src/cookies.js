// First-party cookies on the site's own registrable domain, found the way the
// big tags do: try the shortest suffix first and keep the one the browser
// accepts (it refuses public suffixes such as co.uk).

export function domainCandidates(host) {
  if (!host || host.indexOf('.') < 0 || /^[\d.]+$/.test(host) || host.indexOf(':') >= 0) return [];
  const labels = host.split('.');
  const out = [];
  for (let i = labels.length - 2; i >= 0; i--) {
    let candidate = labels[i];
    for (let j = i + 1; j < labels.length; j++) candidate += '.' + labels[j];
    out[out.length] = candidate;
  }
  return out;
}

export function readCookie(cookieString, name) {
  const parts = (cookieString || '').split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].replace(/^\s+/, '');
    if (part.slice(0, name.length + 1) === name + '=') return decodeURIComponent(part.slice(name.length + 1));
  }
  return null;
}

export function cookieJar(doc, secure, fixedDomain) {
  let domain = fixedDomain;

  function write(name, value, maxAge, dom) {
    doc.cookie = name + '=' + encodeURIComponent(value) + '; path=/; max-age=' + maxAge +
      (dom ? '; domain=' + dom : '') + '; SameSite=Lax' + (secure ? '; Secure' : '');
  }

  function findDomain(name, value, maxAge) {
    const candidates = domainCandidates(doc.location && doc.location.hostname);
    for (let i = 0; i < candidates.length; i++) {
      write(name, value, maxAge, candidates[i]);
      if (readCookie(doc.cookie, name) === value) return candidates[i];
    }
    return '';
  }

  return {
    get(name) {
      return readCookie(doc.cookie, name);
    },
    set(name, value, maxAge) {
      if (domain === undefined) domain = findDomain(name, value, maxAge);
      write(name, value, maxAge, domain);
    },
    remove(name) {
      write(name, '', 0, '');
      const candidates = domainCandidates(doc.location && doc.location.hostname);
      for (let i = 0; i < candidates.length; i++) write(name, '', 0, candidates[i]);
    },
  };
}
