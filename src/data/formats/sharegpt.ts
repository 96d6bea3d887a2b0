// Conversations: OpenAI's {"messages": [{role, content}]} or ShareGPT's
// {"conversations": [{from, value}]} (from: human/user → user, gpt/assistant/chatgpt/bing/bard →
// assistant, system → system). A row needs at least one assistant turn and no unknown speaker.
import type { Message, Role } from '../chat.ts';
import { parseMessages } from '../messages.ts';
import { type Row, type RowResult, isText } from './records.ts';
import { nameTable } from '../../util/names.ts';

const SPEAKERS = nameTable<Role>({
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bing: 'assistant',
  bard: 'assistant',
  system: 'system',
});

export function sharegptRow(r: Row): RowResult {
  const id = isText(r.id) && r.id !== '' ? { id: r.id } : {};
  if (r.messages !== undefined && r.conversations !== undefined) return 'both "messages" and "conversations"';
  if (r.messages !== undefined) {
    const m = parseMessages(r);
    return typeof m === 'string' ? m : { messages: m, ...id };
  }
  const turns = r.conversations;
  if (!Array.isArray(turns)) return 'no "messages" or "conversations" array';
  if (turns.length === 0) return 'empty "conversations"';
  const out: Message[] = [];
  for (const [i, t] of turns.entries()) {
    if (!t || typeof t !== 'object' || Array.isArray(t)) return `turn ${i} is not an object`;
    const { from, value } = t as { from?: unknown; value?: unknown };
    const role = typeof from === 'string' ? SPEAKERS[from.toLowerCase()] : undefined;
    if (!role) return `turn ${i} has "from" ${JSON.stringify(from)}`;
    if (!isText(value)) return `turn ${i} has no string "value"`;
    out.push({ role, content: value });
  }
  if (!out.some((m) => m.role === 'assistant')) return 'no assistant turn';
  return { messages: out, ...id };
}
