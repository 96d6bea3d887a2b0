// The world part's measures, calibration lines and claims on synthetic answers whose truth is
// known: the grammar's reference stories meet every check of their own request, another item's
// reference story meets its own request's checks but not (mostly) this one's.
import { describe, expect, it } from 'vitest';
import { calibration, semanticByKind, verdictOf, worldClaims, worldMeasures } from '../../src/study/worldMeasures.ts';
import { checksTable } from '../../src/study/worldReport.ts';
import { worldData } from '../../src/study/worldData.ts';
import type { WorldGenResult } from '../../src/study/worldStages.ts';
import { itemWrapperPrompt, wrapperTemplate } from '../../src/study/worldStages.ts';

const data = worldData({ seed: 3, tuningRows: 4, evalPerGroup: 30 });
const items = data.sets.eval;
const requests = items.map((it) => it.request);
const good = items.map((it) => it.reference);
/** Each item answered with the next item of the same kind's reference: fluent, on the wrong request. */
const wrong = items.map((it, i) => {
  for (let k = 1; k < items.length; k++) {
    const j = (i + k) % items.length;
    if (items[j]!.request.kind === it.request.kind) return items[j]!.reference;
  }
  return it.reference;
});
const gen = (answers: string[], eos = 1): WorldGenResult => ({
  runs: [{ setting: 'greedy', outputs: '', answers, eos: answers.map(() => eos), tokens: answers.map(() => 1) }],
});
const bs = { samples: 400, seed: 0 };

describe('world measures, calibration and claims', () => {
  const arms = worldMeasures(
    requests,
    new Map([
      ['world:base', gen(wrong, 0)],
      ['world:base-in-wrapper', gen(good)],
      ['world:instruction', gen(good)],
      ['world:response', gen(good)],
      ['world:single-task:fact', gen(wrong, 0)],
    ]),
  );
  const get = (n: string) => arms.find((a) => a.arm === n)!;

  it('the right answers meet every check; the wrong ones score near chance; win rates follow', () => {
    expect(get('world:instruction').greedy.promptLevel).toBe(100);
    expect(get('world:instruction').greedy.semantic).toBeGreaterThan(50);
    expect(Math.abs(get('world:base').greedy.semantic)).toBeLessThan(15);
    expect(get('world:response').greedy.winRate).toBe(50);
    expect(get('world:base').greedy.winRate).toBeLessThan(10);
    expect(get('world:base').greedy.eos).toBe(0);
  });

  it('calibration: (a), (b), (c) met when the tuned arm and the wrapped base follow and the chat base does not', () => {
    const lines = calibration(arms, bs);
    expect(lines.map((l) => [l.name, l.met])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
    // the same base in both places: (c) is not met; no wrapper arm: (b) and (c) are not measured
    const same = worldMeasures(
      requests,
      new Map([
        ['world:base', gen(good)],
        ['world:base-in-wrapper', gen(good)],
        ['world:instruction', gen(wrong)],
      ]),
    );
    expect(calibration(same, bs).map((l) => l.met)).toEqual([false, true, false]);
    const noWrap = worldMeasures(requests, new Map([['world:instruction', gen(good)]]));
    expect(calibration(noWrap, bs).map((l) => l.met)).toEqual([true, null, null]);
  });

  it("claims: verdicts from the paired intervals, in or against the paper's direction or not visible", () => {
    const claims = worldClaims(arms, undefined, bs, requests);
    const line = (start: string) => claims.find((c) => c.startsWith(start))!;
    expect(line('response tuning (stories only')).toMatch(/visible, in the paper's direction\.$/);
    expect(line('single-task tuning on fact answers')).toMatch(/not visible at this scale/);
    expect(line('response tuning teaches the model to end')).toMatch(/= 100\.0 EOS-rate points .*in the paper's direction/);
    expect(line('instruction tuning still follows better')).toMatch(/= 0\.0 .*not visible/);
    // arms not run: their claims are left out
    expect(claims.some((c) => c.includes('rules adapter'))).toBe(false);
    const against = worldClaims(
      worldMeasures(
        requests,
        new Map([
          ['world:instruction', gen(good)],
          ['world:base', gen(good)],
          ['world:response', gen(wrong)],
        ]),
      ),
      undefined,
      bs,
      requests,
    );
    expect(against.find((c) => c.startsWith('response tuning (stories only'))).toMatch(/AGAINST the paper's direction/);
    expect(verdictOf({ diff: -3, noise: true })).toMatch(/not visible/);
  });

  it('a single-task claim is measured beyond its task: fact tuning on story requests, one type on the other types', () => {
    // right on the fact questions only: a fact-tuned model that answers facts and writes the wrong stories
    const factsOnly = items.map((it, i) => (it.request.kind === 'fact' ? good[i]! : wrong[i]!));
    const aboutOnly = items.map((it, i) => (it.request.kind === 'story' && it.request.type === 'about' ? good[i]! : wrong[i]!));
    const m = worldMeasures(
      requests,
      new Map([
        ['world:instruction', gen(good)],
        ['world:base', gen(wrong)],
        ['world:single-task:fact', gen(factsOnly)],
        ['world:single-task:about', gen(aboutOnly)],
      ]),
    );
    const claims = worldClaims(m, undefined, bs, requests);
    const stories = requests.filter((r) => r.kind === 'story').length;
    const other = requests.filter((r) => r.kind === 'story' && r.type !== 'about').length;
    expect(claims.find((c) => c.startsWith('single-task tuning on fact answers'))).toMatch(
      new RegExp(`semantic score points \\(on the ${stories} story requests only\\) .*not visible`),
    );
    expect(claims.find((c) => c.startsWith("single-task tuning on one request type ('about')"))).toMatch(
      new RegExp(`\\(on the ${other} story requests of types other than 'about'\\) .*not visible`),
    );
    // the split by kind shows it too: facts right, stories at the level of a wrong story
    const k = semanticByKind(m.find((a) => a.arm === 'world:single-task:fact')!, requests);
    expect(k.facts).toBeGreaterThan(50);
    expect(Math.abs(k.stories)).toBeLessThan(15);
    expect(calibration(m, bs, requests)[0]!.figures).toMatch(/semantic [\d.]+ \[[\d., -]+\] \(stories [\d.]+, facts [\d.]+\)$/);
    // over all items the fact arm would have looked better than the base
    expect(get('world:instruction').greedy.semantic).toBeGreaterThan(0);
    expect(m.find((a) => a.arm === 'world:single-task:fact')!.greedy.semantic).toBeGreaterThan(10);
  });

  it('the wrapper template asks each request inside its wrapper, never in the chat template', () => {
    const t = wrapperTemplate(items);
    items.forEach((it, i) => {
      const p = t.generationPrompt!(it.request.text);
      expect(p).toBe(itemWrapperPrompt(it, i));
      expect(p).toContain(it.request.text.replace(/^I\b/, 'I').slice(1, 20));
      expect(p).not.toContain('<|');
    });
    expect(() => t.generationPrompt!('not an item')).toThrow(/no evaluation item/);
  });
});

describe('the checks table', () => {
  it('counts met / asked per constraint: reference stories meet every check, empty answers none', () => {
    const t = checksTable(
      worldMeasures(
        requests,
        new Map([
          ['world:instruction', gen(good)],
          ['empty', gen(good.map(() => ''))],
        ]),
      ),
    );
    expect(t.headers[0]).toBe('arm');
    expect(t.headers).toContain('words');
    expect(t.headers.at(-1)).toBe('fact');
    // how many checks of each name the requests ask, counted here from the requests themselves
    const asked = new Map<string, number>();
    for (const r of requests) {
      const names = r.kind === 'fact' ? ['fact'] : Object.keys(r.constraints);
      for (const n of names) asked.set(n, (asked.get(n) ?? 0) + 1);
    }
    const [g, e] = t.rows;
    t.headers.slice(1).forEach((name, k) => {
      const n = asked.get(name)!;
      expect(g![k + 1]).toBe(`${n}/${n}`);
      // an empty answer still meets "no dialogue"; every other check fails
      if (name !== 'dialogue') expect(e![k + 1]).toBe(`0/${n}`);
    });
  });
});
