// Reader for open-instruct `messages` JSONL (LIMA: lima_data.jsonl, lima_no_instruction.jsonl).
// Each line: {"id"?: str, "messages": [{"role": "system"|"user"|"assistant", "content": str}, ...]}.
// A row must have at least one assistant turn (nothing to learn otherwise); bad rows are skipped
// and counted.
import { readInputText } from '../io/open.ts';
import type { Message, Role } from './chat.ts';
import { type Conversation, type Dataset, eachJsonLine, newSkipped, requireRows, skip } from './dataset.ts';

const ROLES: ReadonlySet<string> = new Set<Role>(['system', 'user', 'assistant']);

/** Validates one parsed row; returns the reason it is unusable, or the messages. */
export function parseMessages(row: unknown): Message[] | string {
  if (!row || typeof row !== 'object' || Array.isArray(row)) return 'not a JSON object';
  const msgs = (row as { messages?: unknown }).messages;
  if (!Array.isArray(msgs)) return 'no "messages" array';
  if (msgs.length === 0) return 'empty "messages"';
  const out: Message[] = [];
  for (const [i, m] of msgs.entries()) {
    if (!m || typeof m !== 'object') return `message ${i} is not an object`;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) return `message ${i} has role ${JSON.stringify(role)}`;
    if (typeof content !== 'string') return `message ${i} has no string "content"`;
    out.push({ role: role as Role, content });
  }
  if (!out.some((m) => m.role === 'assistant')) return 'no assistant turn';
  return out;
}

export function parseMessagesJsonl(text: string, source: string): Dataset {
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  eachJsonLine(text, source, skipped, (json, where) => {
    const m = parseMessages(json);
    if (typeof m === 'string') skip(skipped, where, m);
    else {
      const id = (json as { id?: unknown }).id;
      rows.push({ id: typeof id === 'string' ? id : where, messages: m });
    }
  });
  return { source, rows, skipped };
}

export function readMessagesJsonl(path: string): Dataset {
  return requireRows(
    parseMessagesJsonl(readInputText(path, 'data file'), path),
    'a messages JSONL file: lines of {"messages": [{"role", "content"}, ...]}',
  );
}
