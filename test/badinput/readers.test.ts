// Any bytes and any JSON value given to the upper layers' readers: each input either reads as
// documented (checked against what was written) or is refused naming the file (and line and
// field), never with raw JS text (null reads, V8 parse messages), within a time bound. One policy
// for text: a BOM is dropped, invalid UTF-8 is refused at file:line:byte, rows that cannot be used
// are counted, a file with none is refused naming the real problem.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as trainCli } from '../../src/cli/train.ts';
import { readFormat } from '../../src/data/formats/index.ts';
import { readMessagesJsonl } from '../../src/data/messages.ts';
import { readCorpus } from '../../src/data/pretrain.ts';
import { paperRuleWeights, readRuleWeights } from '../../src/decode/rules.ts';
import { readResponses } from '../../src/eval/ifeval/index.ts';
import { readOutputs } from '../../src/eval/outputs.ts';
import { collectRun } from '../../src/eval/report/collect.ts';
import { decodeText, firstInvalidUtf8 } from '../../src/io/open.ts';
import { checkShape } from '../../src/io/schema.ts';
import { readLog } from '../../src/train/progress.ts';
import { RAW_JS_TEXT, expectGoodMessage } from './corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'heed-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (name: string, content: string | Uint8Array): string => {
  const p = join(root, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
};
const MAX_MS = 5000;

/** Runs `fn`; returns its value, or the refusal's message after checking it names `names` and no raw JS text. */
function judge<T>(fn: () => T, names: string[]): { ok: T } | { refused: string } {
  const t0 = performance.now();
  try {
    return { ok: fn() };
  } catch (e) {
    return { refused: expectGoodMessage(e, names) };
  } finally {
    expect(performance.now() - t0).toBeLessThan(MAX_MS);
  }
}

/** JSON values biased to what breaks readers: null, wrong types, prototype keys, huge numbers. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, '', 'x', '__proto__', 'constructor', [], {}, [null], { __proto__: null }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom('prompt', 'response', 'output_1', 'output_2', 'constructor', '__proto__', 'toString', 'kind', 'step'),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  ),
);

describe('text policy: BOM, invalid UTF-8, skipped rows, empty and wrong-shape files', () => {
  const row = (i: number) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: `q${i} é 😀` },
        { role: 'assistant', content: `a${i}` },
      ],
    });

  it('property: a BOM changes nothing; one bad byte anywhere is refused at its file:line:byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.option(fc.record({ line: fc.nat(), at: fc.nat(), byte: fc.constantFrom(0xff, 0xc0, 0x80, 0xe9, 0xed, 0xf5) }), {
          nil: undefined,
        }),
        (rows, bom, bad) => {
          const lines = Array.from({ length: rows }, (_, i) => row(i));
          let bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
          let want: string | undefined;
          if (bad) {
            const li = bad.line % rows;
            const lineStart = lines.slice(0, li).reduce((s, l) => s + new TextEncoder().encode(l).length + 1, 0);
            const ascii = [...lines[li]!].findIndex((c, k) => k >= bad.at % 10 && c.charCodeAt(0) < 0x80); // a position on a character boundary
            const col = new TextEncoder().encode(lines[li]!.slice(0, ascii)).length;
            bytes = Uint8Array.from([...bytes.subarray(0, lineStart + col), bad.byte, ...bytes.subarray(lineStart + col)]);
            want = `:${li + 1}:${col + 1}: not valid UTF-8 text (byte 0x${bad.byte.toString(16)})`;
          }
          if (bom) bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
          const p = file('data.jsonl', bytes);
          const r = judge(() => readMessagesJsonl(p), [p]);
          if (want) expect('refused' in r && r.refused).toBe(`${p}${want}; save the file as UTF-8`);
          else {
            expect('ok' in r).toBe(true);
            const d = (r as { ok: ReturnType<typeof readMessagesJsonl> }).ok;
            expect(d.rows.map((x) => x.messages[0]!.content)).toEqual(lines.map((_, i) => `q${i} é 😀`));
            expect(d.skipped.count).toBe(0);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('property: any bytes decode exactly as the strict decoder, or are refused where it first fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const bad = firstInvalidUtf8(b);
        let strict: string | undefined;
        try {
          strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
        } catch {
          strict = undefined;
        }
        expect(bad === undefined).toBe(strict !== undefined);
        if (strict !== undefined) expect(decodeText(b, 'f')).toBe(strict.replace(/^\ufeff/, ''));
        else expect(() => decodeText(b, 'f')).toThrow(`f:${bad!.line}:${bad!.byte}: not valid UTF-8 text`);
      }),
      { numRuns: 500 },
    );
  });

  it('empty files and files of the wrong shape are refused naming the file and the real problem', () => {
    const empty = file('empty.jsonl', '');
    expect(() => readMessagesJsonl(empty)).toThrow(`${empty}: holds no rows (the file is empty; expected a messages JSONL file`);
    const alpaca = file('alpaca.jsonl', `${JSON.stringify({ instruction: 'a', input: '', output: 'b' })}\n`.repeat(3));
    expect(() => readMessagesJsonl(alpaca)).toThrow(`${alpaca}: none of its 3 rows is usable (no "messages" array ×3;`);
    expect(() => readFormat('dolly', alpaca)).toThrow(`${alpaca}: none of its 3 rows is usable`);
    expect(() => readCorpus([file('c.jsonl', '{"txt": "a"}\n')])).toThrow(
      /c\.jsonl: holds no documents \(none of its 1 lines has a non-empty "text" field/,
    );
    expect(() => readCorpus([file('c.jsonl.gz', 'not gzip')])).toThrow(/c\.jsonl\.gz: not a valid gzip file/);
    expect(() => readCorpus([file('c.txt', '')])).toThrow(/c\.txt: the text file is empty/);
    // some rows skipped: read, and counted by reason
    const mixed = file('mixed.jsonl', `${row(0)}\nnot json\n{"messages": []}\n${row(1)}\n`);
    const d = readMessagesJsonl(mixed);
    expect(d.rows).toHaveLength(2);
    expect([...d.skipped.reasons]).toEqual([
      ['invalid JSON', 1],
      ['empty "messages"', 1],
    ]);
  });

  it('heed train: --heldout=-3 and --limit=-1 are refused; an --out in the way and a non-JSON --config are named', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const base = ['--mode', 'response', '--out', join(root, 'tr'), '--config', 'x.json', '--tokenizer', 'x', '--backend', 'cpu'];
      await expect(trainCli([...base, '--heldout=-3'])).rejects.toThrow('--heldout must be a whole number >= 0, got "-3"');
      const f = file('out-file', 'x');
      await expect(trainCli([...base.map((x) => (x === join(root, 'tr') ? f : x))])).rejects.toThrow(
        `--out ${f}: exists and is a file, not a directory`,
      );
      await expect(trainCli([...base.map((x) => (x === join(root, 'tr') ? join(f, 'run') : x))])).rejects.toThrow(
        `--out ${join(f, 'run')}: cannot be created: ${f} is a file, not a directory`,
      );
      await expect(trainCli([...base, '--limit=-1'])).rejects.toThrow('--limit must be a whole number >= 0');
      await expect(trainCli([...base, '--batch-size', '0'])).rejects.toThrow('--batch-size must be a whole number >= 1, got "0"');
      await expect(trainCli([...base, '--grad-accum', '0'])).rejects.toThrow('--grad-accum must be a whole number >= 1');
      await expect(trainCli([...base, '--epochs', '0'])).rejects.toThrow('--epochs must be a whole number >= 1');
      await expect(trainCli([...base, '--lr=-1'])).rejects.toThrow('--lr must be a number >= 0');
      await expect(trainCli([...base, '--mode', 'pretrain', '--config', file('cfg.json', 'nope')])).rejects.toThrow(
        /cfg\.json: the model config \(--config\) is not valid JSON/,
      );
    } finally {
      spy.mockRestore();
    }
  });
});

describe('JSON shapes: any value where a record belongs is read or refused naming file:line and field', () => {
  it('property: IFEval responses, one line of any value among good ones', () => {
    fc.assert(
      fc.property(weird, fc.nat(3), (v, at) => {
        const good = [0, 1, 2].map((i) => JSON.stringify({ prompt: `p${i}`, response: `r${i}` }));
        good.splice(at, 0, JSON.stringify(v) ?? 'null');
        const p = file('responses.jsonl', `${good.join('\n')}\n`);
        const r = judge(() => readResponses(p), [`${p}:${at + 1}`]);
        const isResponse =
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          typeof (v as { prompt?: unknown }).prompt === 'string' &&
          typeof (v as { response?: unknown }).response === 'string' &&
          Object.hasOwn(v, 'prompt') &&
          Object.hasOwn(v, 'response');
        if ('ok' in r) {
          expect(isResponse).toBe(true);
          expect(r.ok.get((v as { prompt: string }).prompt)).toBe((v as { response: string }).response);
        } else expect(isResponse && !/already has a different response/.test(r.refused)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('property: the same prompt twice with different responses, or an unknown prompt, is refused naming the line', () => {
    const known = new Set(['p0', 'p1', 'p2']);
    fc.assert(
      fc.property(
        fc.array(fc.record({ prompt: fc.constantFrom('p0', 'p1', 'p2', 'p9'), response: fc.constantFrom('a', 'b') }), {
          minLength: 1,
          maxLength: 6,
        }),
        (rows) => {
          const p = file('responses.jsonl', rows.map((x) => JSON.stringify(x)).join('\n'));
          let want: RegExp | undefined;
          const seen = new Map<string, string>();
          for (const [i, x] of rows.entries()) {
            if (!known.has(x.prompt)) want = new RegExp(`:${i + 1}: the prompt "p9" is not an IFEval prompt`);
            else if (seen.has(x.prompt) && seen.get(x.prompt) !== x.response)
              want = new RegExp(
                `:${i + 1}: the prompt "${x.prompt}" already has a different response on line ${rows.findIndex((y) => y.prompt === x.prompt) + 1}`,
              );
            if (want) break;
            seen.set(x.prompt, x.response);
          }
          const r = judge(() => readResponses(p, known), [p]);
          if (want) expect('refused' in r && r.refused).toMatch(want);
          else expect('ok' in r && [...r.ok]).toEqual([...seen]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: a training log line, model outputs row, annotations row, summary: any value', () => {
    const step = JSON.stringify({
      kind: 'step',
      step: 1,
      totalSteps: 2,
      epoch: 0,
      loss: 2,
      lr: 1e-3,
      gradNorm: 1,
      tokens: 4,
      tokPerSec: 9,
      elapsedSec: 1,
      etaSec: 1,
    });
    const summary = {
      model: 'm',
      reference: 'r',
      judge: 'j',
      win_rate: 50,
      standard_error: 1,
      length_controlled_winrate: 50,
      discrete_win_rate: 50,
      n_total: 2,
      avg_length: 3,
      position_consistency: null,
    };
    fc.assert(
      fc.property(weird, fc.constantFrom('log', 'outputs', 'annotations', 'summary', 'ifeval'), (v, where) => {
        const text = JSON.stringify(v) ?? 'null';
        if (where === 'log') {
          const p = file('log.jsonl', `${step}\n${text}\n`);
          judge(() => readLog(p), [`${p}:2`]);
        } else if (where === 'outputs') {
          const p = file('model_outputs.json', `[{"instruction":"i","output":"o","generator":"g"},${text}]`);
          const r = judge(() => readOutputs(p), [p]);
          if ('refused' in r) expect(r.refused).toMatch(/row 1/);
        } else {
          const d = join(root, `${n++}-run`);
          const names = { annotations: 'annotations.json', summary: 'summary.json', ifeval: 'ifeval_summary.json' } as const;
          const body =
            where === 'annotations'
              ? `[{"output_1":"a","output_2":"b"},${text}]`
              : where === 'summary'
                ? JSON.stringify({ ...summary, win_rate: v })
                : JSON.stringify({ prompt_strict: 0.5, prompt_loose: 0.5, inst_strict: 0.5, inst_loose: v, per_family: {} });
          mkdirSync(d);
          writeFileSync(join(d, names[where]), body);
          judge(() => collectRun(d), [join(d, names[where])]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('leaderboard.csv: a win_rate that is not a number is refused; numbers are read exactly', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
          fc.constantFrom('abc', '50%', '1e999', '0x10', 'Infinity', ' ', 'null'),
        ),
        (cell) => {
          const d = join(root, `${n++}-board`);
          mkdirSync(d);
          writeFileSync(join(d, 'leaderboard.csv'), `,win_rate,standard_error,n_total\nm,${cell},1,805\n`);
          const r = judge(() => collectRun(d), [join(d, 'leaderboard.csv')]);
          const num = Number(cell);
          if (cell.trim() === '') expect('ok' in r && Number.isNaN(r.ok.winRate!.win_rate)).toBe(true);
          else if (Number.isFinite(num)) expect('ok' in r && r.ok.winRate!.win_rate).toBe(num);
          else expect('refused' in r && r.refused).toMatch(/leaderboard\.csv:2: the "win_rate" column must hold a number/);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('--rules-weights: the inline JSON that heed generate --help shows works; a file works; errors name the source', () => {
    const inline = '{"uniform": {"What": -3}, "eos": {"keepRamping": true}, "diversity": {"penalty": 1.5}}';
    const w = readRuleWeights(inline);
    expect(w.uniform.What).toBe(-3);
    expect(w.eos.keepRamping).toBe(true);
    expect(readRuleWeights(file('w.json', inline))).toEqual(w);
    expect(() => readRuleWeights('{"uniform": ')).toThrow(/rule weights \(inline JSON\): the value is not valid JSON/);
    expect(() => readRuleWeights('{"eos": null}')).toThrow(/rule weights \(inline JSON\): eos must be an object/);
    // a token text that is a prototype key is a key like any other
    const proto = readRuleWeights('{"uniform": {"__proto__": 2, "constructor": 1}}');
    expect(Object.getOwnPropertyDescriptor(proto.uniform, '__proto__')?.value).toBe(2);
    expect(Object.hasOwn(proto.uniform, 'constructor')).toBe(true);
    expect(Object.keys(proto.uniform)).toEqual([...Object.keys(paperRuleWeights().uniform), '__proto__', 'constructor']);
  });

  it('checkShape: messages name the source and the field path; prototype keys are never inherited', () => {
    const s = { object: { a: { array: { object: { b: 'count' } } } } } as const;
    expect(() => checkShape({ a: [{ b: 1 }, { b: -1 }] }, s, 'f.json')).toThrow('f.json: a[1].b must be a whole number >= 0, got -1');
    expect(() => checkShape({ a: [null] }, s, 'f.json:3')).toThrow('f.json:3: a[0] must be an object, got null');
    expect(() => checkShape({}, { object: { constructor: 'string' as const } }, 'f')).toThrow('f: constructor is missing');
    for (const raw of RAW_JS_TEXT) expect(() => checkShape(null, s, 'f')).not.toThrow(raw);
  });
});
