// OpenAssistant message trees (oasst1/oasst2 "trees" export): one tree per row,
//   {"message_tree_id", "prompt": {"text", "role": "prompter", "replies": [{"text", "role":
//   "assistant", "rank", "replies": [...]}, ...]}}.
// One conversation per tree: from the prompt, follow at each level the best-ranked reply (rank 0
// is best; unranked replies come after ranked ones, then file order), skipping deleted messages.
// Roles must alternate prompter/assistant; a path that ends on a prompter turn drops that turn.
import type { Message } from '../chat.ts';
import { type Row, type RowResult, isText, nonBlank } from './records.ts';
import { nameTable } from '../../util/names.ts';

interface Node {
  text?: unknown;
  role?: unknown;
  rank?: unknown;
  deleted?: unknown;
  replies?: unknown;
}

const ROLE = nameTable<Message['role']>({ prompter: 'user', assistant: 'assistant' });

/** The reply to follow: lowest rank, unranked last, ties in file order; deleted ones never. */
export function bestReply(replies: readonly Node[]): Node | undefined {
  let best: Node | undefined;
  let bestRank = Infinity;
  for (const r of replies) {
    if (r.deleted === true) continue;
    const rank = typeof r.rank === 'number' && Number.isFinite(r.rank) ? r.rank : Number.MAX_SAFE_INTEGER;
    if (best === undefined || rank < bestRank) {
      best = r;
      bestRank = rank;
    }
  }
  return best;
}

export function oasstRow(r: Row): RowResult {
  const root = r.prompt as Node | undefined;
  if (!root || typeof root !== 'object' || Array.isArray(root)) return 'no "prompt" message object';
  if (root.deleted === true) return 'prompt is deleted';
  const out: Message[] = [];
  let node: Node | undefined = root;
  for (let depth = 0; node; depth++) {
    if (typeof node !== 'object' || Array.isArray(node)) return `message at depth ${depth} is not an object`;
    const role = typeof node.role === 'string' ? ROLE[node.role] : undefined;
    if (!role) return `message at depth ${depth} has role ${JSON.stringify(node.role)}`;
    const want = depth % 2 === 0 ? 'user' : 'assistant';
    if (role !== want)
      return `message at depth ${depth} is ${JSON.stringify(node.role)}, expected ${want === 'user' ? '"prompter"' : '"assistant"'} (roles must alternate)`;
    if (!nonBlank(node.text)) return `message at depth ${depth} has no text`;
    out.push({ role, content: node.text });
    if (node.replies === undefined || node.replies === null) break;
    if (!Array.isArray(node.replies)) return `"replies" at depth ${depth} is not an array`;
    node = bestReply(node.replies as Node[]);
  }
  if (out.at(-1)!.role === 'user') out.pop();
  if (out.length === 0) return 'the prompt has no (undeleted) assistant reply';
  const id = isText(r.message_tree_id) && r.message_tree_id !== '' ? { id: r.message_tree_id } : {};
  return { messages: out, dataset: 'oasst', ...id };
}
