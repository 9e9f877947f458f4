import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from './miniflare.js';

let mf: Miniflare;
const BASE = 'http://dga-edge.test';

beforeAll(async () => {
  mf = await startWorker({ DGA_THRESHOLD: '0.5' });
});
afterAll(async () => {
  await mf?.dispose();
});

async function getJson(path: string) {
  const res = await mf.dispatchFetch(`${BASE}${path}`);
  return { status: res.status, json: (await res.json()) as any };
}

describe('the family head, served by the committed model in workerd', () => {
  it('lists its classes in /v1/model, benign first and an explicit "other"', async () => {
    const { json } = await getJson('/v1/model');
    expect(json.families[0]).toBe('benign');
    expect(json.families).toContain('other');
    expect(json.families.length).toBeGreaterThan(10);
  });

  it('names a family for a DGA verdict, and none for a benign one', async () => {
    const dga = (await getJson('/v1/classify?domain=yynhbwtucfcvd.ru')).json.result;
    expect(dga.dga).toBe(true);
    expect(dga.family).toEqual({ name: 'cryptolocker', probability: expect.any(Number) });
    expect(dga.family.probability).toBeGreaterThan(0.9);
    const benign = (await getJson('/v1/classify?domain=wikipedia.org')).json.result;
    expect(benign.dga).toBe(false);
    expect(benign).not.toHaveProperty('family');
  });

  it('calls a DGA name "other" when no known family reaches the model\'s open-set cut-off, naming the nearest', async () => {
    const { json: info } = await getJson('/v1/model');
    expect(info.familyMinProbability).toBe(info.familyOpenSet.minProbability);
    expect(info.familyMinProbability).toBeGreaterThan(0);
    const { json } = await getJson('/v1/classify?domain=xjwqkzpvbnqwrtyp.net&families=2');
    const { family, families } = json.result;
    expect(json.result.dga).toBe(true);
    expect(family.name).toBe('other');
    // the nearest known family is the head's top one, below the cut-off; "other" carries 1 - its probability
    expect(family.nearest).toEqual(families[0]);
    expect(family.nearest.probability).toBeLessThan(info.familyMinProbability);
    expect(family.probability).toBeCloseTo(1 - family.nearest.probability, 6);
  });

  it('FAMILY_MIN_PROBABILITY=0 turns the rule off: the nearest family is the answer', async () => {
    const off = await startWorker({ DGA_THRESHOLD: '0.5', FAMILY_MIN_PROBABILITY: '0' });
    try {
      const res = await off.dispatchFetch(`${BASE}/v1/classify?domain=xjwqkzpvbnqwrtyp.net&families=1`);
      const { result } = (await res.json()) as any;
      expect(result.family).toEqual(result.families[0]);
      expect(result.family.name).not.toBe('other');
      expect(((await (await off.dispatchFetch(`${BASE}/v1/model`)).json()) as any).familyMinProbability).toBe(0);
    } finally {
      await off.dispose();
    }
  });

  it('returns the top-k families on request, most likely first, probabilities summing to at most 1', async () => {
    const { status, json } = await getJson('/v1/classify?domain=yynhbwtucfcvd.ru&families=3');
    expect(status).toBe(200);
    const families = json.result.families as { name: string; probability: number }[];
    expect(families).toHaveLength(3);
    expect(families[0]!.name).toBe(json.result.family.name);
    for (let i = 1; i < families.length; i++) expect(families[i - 1]!.probability).toBeGreaterThanOrEqual(families[i]!.probability);
    expect(families.reduce((sum, f) => sum + f.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('weighs the public suffix into the family ranking (metadata familySuffixPrior), never into the score', async () => {
    const res = await mf.dispatchFetch(`${BASE}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domains: ['yynhbwtucfcvd.com', 'yynhbwtucfcvd.ru', 'yynhbwtucfcvd.example'], families: 3 }),
    });
    const [com, ru, unknown] = ((await res.json()) as any).results;
    expect(com.score).toBe(ru.score);
    expect(unknown.score).toBe(ru.score);
    // one label, three suffixes: .com and .ru are used by different families in training, .example by none
    const ranking = (r: any) => r.families.map((f: any) => `${f.name} ${f.probability.toFixed(3)}`).join(', ');
    expect(ranking(com)).not.toBe(ranking(ru));
    expect(ranking(unknown)).not.toBe(ranking(ru));
  });

  it('takes families in a POST body too, and rejects a bad value with 400', async () => {
    const res = await mf.dispatchFetch(`${BASE}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domains: ['a.com', 'xjwqkzpvbnqwrtyp.net'], families: 2 }),
    });
    const body = (await res.json()) as any;
    expect(body.results.map((r: any) => r.families.length)).toEqual([2, 2]);
    const bad = await getJson('/v1/classify?domain=a.com&families=99');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
  });
});
