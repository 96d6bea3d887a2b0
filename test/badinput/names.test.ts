// Names that come from input and are looked up in tables (commands, subcommands, presets, built-in
// sets, templates, subsets, speakers, roles, template methods/filters/tests, IFEval instruction
// ids): a prototype member's name ("constructor", "__proto__", "toString", ...) is not in any
// table, so it is refused in words like any unknown name, never found on Object.prototype.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as dataCli } from '../../src/cli/data.ts';
import { helpFor as evalHelpFor, run as evalCli } from '../../src/cli/eval.ts';
import { run as ifevalCli } from '../../src/cli/eval-ifeval.ts';
import { main } from '../../src/cli/main.ts';
import { compileJinja } from '../../src/data/jinja.ts';
import { parseFormat } from '../../src/data/formats/index.ts';
import type { Format } from '../../src/data/formats/index.ts';
import { resolveTemplate } from '../../src/data/templates.ts';
import { buildCheck } from '../../src/eval/ifeval/instructions.ts';
import { readInstructions, readReferenceOutputs } from '../../src/eval/outputs.ts';
import { loadStudyConfig } from '../../src/study/config.ts';
import { RAW_JS_TEXT } from './corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'heed-names-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const PROTO_KEYS = [...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype', 'call', 'apply', 'bind', 'length', 'name'];
const protoKey = fc.constantFrom(...PROTO_KEYS);
const RAW = [...RAW_JS_TEXT, 'could not be cloned', 'function Object', '[object'];

function expectRefusal(fn: () => unknown, want: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const raw of RAW) expect(msg).not.toContain(raw);
  expect(msg).toMatch(want);
}

async function expectRejection(p: Promise<unknown>, want: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const raw of RAW) expect(msg).not.toContain(raw);
  expect(msg).toMatch(want);
}

describe('prototype member names are unknown names everywhere', () => {
  it('property: commands and subcommands (heed NAME, heed NAME --help, heed data/eval NAME)', async () => {
    const out: string[] = [];
    const spies = [
      vi.spyOn(console, 'error').mockImplementation((s) => void out.push(String(s))),
      vi.spyOn(console, 'log').mockImplementation(() => {}),
    ];
    try {
      await fc.assert(
        fc.asyncProperty(protoKey, async (key) => {
          out.length = 0;
          expect(await main([key])).toBe(2);
          expect(await main([key, '--help'])).toBe(2);
          expect(out.join('\n')).toContain(`heed: unknown command "${key}"`);
          await expectRejection(dataCli([key]), new RegExp(`unknown data command "${key.replace(/[$^]/g, '\\$&')}"`));
          await expectRejection(evalCli([key]), /unknown eval command/);
          expect(await evalHelpFor([key])).toContain('Usage: heed eval <command>');
        }),
        { numRuns: 30 },
      );
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it('property: presets, built-in sets, references, templates, subsets, data formats', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await fc.assert(
        fc.asyncProperty(protoKey, async (key) => {
          expectRefusal(() => loadStudyConfig(key), /not a preset|no such file|does not exist/);
          expectRefusal(() => readInstructions(key), /does not exist/);
          expectRefusal(() => readReferenceOutputs(key), /does not exist/);
          expectRefusal(() => resolveTemplate(key), /not a built-in template/);
          expectRefusal(() => parseFormat(key as Format, '{}', 'f'), /unknown data format/);
          await expectRejection(
            ifevalCli(['--responses', join(root, 'r.jsonl'), '--subset', key]),
            /--subset must be one of all, knowledge-free/,
          );
        }),
        { numRuns: 30 },
      );
    } finally {
      spy.mockRestore();
    }
  });

  it('property: ShareGPT speakers and OASST roles named like prototype members make the row skipped, counted by reason', () => {
    fc.assert(
      fc.property(protoKey, (key) => {
        const share = join(root, 'share.jsonl');
        writeFileSync(
          share,
          `${JSON.stringify({
            conversations: [
              { from: 'human', value: 'q' },
              { from: key, value: 'a' },
            ],
          })}\n${JSON.stringify({
            conversations: [
              { from: 'human', value: 'q' },
              { from: 'gpt', value: 'a' },
            ],
          })}\n`,
        );
        const d = parseFormat(
          'sharegpt',
          `${JSON.stringify({
            conversations: [
              { from: 'human', value: 'q' },
              { from: key, value: 'a' },
            ],
          })}\n${JSON.stringify({
            conversations: [
              { from: 'human', value: 'q' },
              { from: 'gpt', value: 'a' },
            ],
          })}\n`,
          share,
        );
        expect(d.rows.map((r) => r.messages)).toEqual([
          [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ],
        ]);
        expect([...d.skipped.reasons.keys()]).toEqual([`turn 1 has "from" ${JSON.stringify(key)}`]);
        const o = parseFormat('oasst', JSON.stringify({ prompt: { text: 'q', role: key, replies: [] } }), 'o.jsonl');
        expect(o.rows).toEqual([]);
        expect([...o.skipped.reasons.keys()][0]).toContain('has role');
      }),
      { numRuns: 30 },
    );
  });

  it('property: Jinja methods, filters and tests, and IFEval instruction ids', () => {
    fc.assert(
      fc.property(protoKey, (key) => {
        if (!/^[A-Za-z_]\w*$/.test(key) || key === 'length') return; // length is a real filter
        expectRefusal(() => compileJinja(`{{ 'x'.${key}() }}`, 'T')({}), new RegExp(`the method "${key}" on string is not supported`));
        expectRefusal(() => compileJinja(`{{ 'x' | ${key} }}`, 'T')({}), new RegExp(`the filter "${key}" is not supported`));
        expectRefusal(() => compileJinja(`{{ 'x' is ${key} }}`, 'T')({}), new RegExp(`the test "is ${key}" is not supported`));
        expectRefusal(() => buildCheck(key, {}, 'input:1'), /input:1: unknown instruction id/);
      }),
      { numRuns: 30 },
    );
  });
});
