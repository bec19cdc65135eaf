// Campaign data of the landing URL: UTM parameters and ad-platform click ids.

export const CAMPAIGN_KEYS = [
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
  'gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid', 'li_fat_id',
];

// The campaign fields present in `href`, or null when it carries none.
export function campaignFrom(href) {
  let params;
  try {
    params = new URL(href).searchParams;
  } catch (e) {
    return null;
  }
  let found = null;
  for (let i = 0; i < CAMPAIGN_KEYS.length; i++) {
    const value = params.get(CAMPAIGN_KEYS[i]);
    if (value) {
      found = found || {};
      found[CAMPAIGN_KEYS[i]] = value.slice(0, 500);
    }
  }
  return found;
}

export function sameCampaign(a, b) {
  for (let i = 0; i < CAMPAIGN_KEYS.length; i++) {
    const key = CAMPAIGN_KEYS[i];
    if ((a && a[key]) !== (b && b[key])) return false;
  }
  return true;
}
