import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAMPAIGN_KEYS, campaignFrom, sameCampaign } from '../src/campaign.js';

test('reads UTM parameters and every click id from the landing URL', () => {
  const url =
    'https://shop.example.com/p?utm_source=news&utm_medium=email&utm_campaign=autumn&utm_term=boots' +
    '&utm_content=hero&gclid=G1&gbraid=GB&wbraid=WB&msclkid=M1&fbclid=F1&ttclid=T1&li_fat_id=L1&other=x';
  assert.deepEqual(campaignFrom(url), {
    utm_source: 'news', utm_medium: 'email', utm_campaign: 'autumn', utm_term: 'boots',
    utm_content: 'hero', gclid: 'G1', gbraid: 'GB', wbraid: 'WB', msclkid: 'M1', fbclid: 'F1',
    ttclid: 'T1', li_fat_id: 'L1',
  });
  assert.equal(CAMPAIGN_KEYS.length, 12);
});

test('no campaign parameters, empty values or a bad URL give null', () => {
  assert.equal(campaignFrom('https://shop.example.com/p?page=2'), null);
  assert.equal(campaignFrom('https://shop.example.com/p?utm_source='), null);
  assert.equal(campaignFrom('not a url'), null);
});

test('decodes percent-encoding and caps long values', () => {
  const found = campaignFrom('https://x.test/?utm_campaign=spring%20sale&gclid=' + 'a'.repeat(900));
  assert.equal(found.utm_campaign, 'spring sale');
  assert.equal(found.gclid.length, 500);
});

test('sameCampaign compares every key', () => {
  assert.ok(sameCampaign({ utm_source: 'a' }, { utm_source: 'a' }));
  assert.ok(!sameCampaign({ utm_source: 'a' }, { utm_source: 'a', gclid: 'g' }));
  assert.ok(!sameCampaign({ utm_source: 'a' }, null));
  assert.ok(sameCampaign(null, null));
});
