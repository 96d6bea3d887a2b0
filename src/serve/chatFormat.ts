// Chat messages → prompt text in the Tulu format heed's models are tuned on (open-instruct's
// encode_with_messages_format): system `<|system|>\n…\n`, user `<|user|>\n…\n`, assistant
// `<|assistant|>\n…</s>\n`, then the generation prompt `<|assistant|>\n`. One small function so it
// can later defer to src/data/chat.ts. One user message renders exactly as chatText(instruction).
import { CHAT_ASSISTANT, CHAT_EOS, CHAT_USER } from '../tokenizer/tokenizer.ts';

export type ChatRole = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export function renderChat(messages: readonly ChatMessage[]): string {
  let text = '';
  for (const m of messages) {
    if (m.role === 'system') text += `<|system|>\n${m.content}\n`;
    else if (m.role === 'user') text += `${CHAT_USER}\n${m.content}\n`;
    else text += `${CHAT_ASSISTANT}\n${m.content}${CHAT_EOS}\n`;
  }
  return `${text}${CHAT_ASSISTANT}\n`;
}
