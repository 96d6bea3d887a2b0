// The outputs explorer: pick an instruction, see every run's answer side by side with its verdict
// and length. Static HTML: the answers ride in the page as JSON and a few lines of script draw the
// cards (the first instruction is drawn without script too).
import { esc } from './svg.ts';

export interface ExplorerAnswer {
  output: string;
  chars: number;
  tokens?: number;
  /** Stopped at EOS (not at the token limit). */
  eos?: boolean;
  /** The judge's or checker's word on it, and how it reads: win (green), loss (red), draw (grey). */
  verdict?: { text: string; tone: 'win' | 'loss' | 'draw' };
}

export interface ExplorerItem {
  /** The instruction set it belongs to (the pick list groups by it). */
  set: string;
  prompt: string;
  /** One per run, in `runs` order. */
  answers: ExplorerAnswer[];
}

export interface ExplorerData {
  runs: string[];
  items: ExplorerItem[];
}

/** JSON safe inside a <script> element (no "</script>", no "<!--"). */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const snippet = (s: string, n = 90): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
};

function cards(d: ExplorerData, i: number): string {
  const item = d.items[i];
  if (!item) return '';
  return item.answers
    .map((a, k) => {
      const meta = [
        `${a.chars} chars`,
        ...(a.tokens !== undefined ? [`${a.tokens} tokens`] : []),
        ...(a.eos !== undefined ? [a.eos ? 'ended with EOS' : 'cut at the limit'] : []),
      ].join(' · ');
      const verdict = a.verdict ? `<span class="${a.verdict.tone}">${esc(a.verdict.text)}</span> · ` : '';
      return `<div class="card" data-run="${esc(d.runs[k]!)}"><h3>${esc(d.runs[k]!)}</h3><div class="meta">${verdict}${esc(meta)}</div><pre>${esc(a.output) || '<i>(empty)</i>'}</pre></div>`;
    })
    .join('');
}

/** The explorer's HTML (a pick list, the prompt, the cards), with its data and script. */
export function explorerHtml(d: ExplorerData): string {
  const sets = [...new Set(d.items.map((it) => it.set))];
  const options = sets
    .map(
      (s) =>
        `<optgroup label="${esc(s)}">${d.items.map((it, i) => (it.set === s ? `<option value="${i}">${esc(`${i + 1}. ${snippet(it.prompt)}`)}</option>` : '')).join('')}</optgroup>`,
    )
    .join('');
  const first = d.items[0];
  return `<div class="explorer"><label for="explorer-pick" class="note">Instruction</label>
<select id="explorer-pick" class="explorer-pick">${options}</select>
<div id="explorer-prompt" class="prompt">${first ? esc(first.prompt) : ''}</div>
<div id="explorer-grid" class="grid">${cards(d, 0)}</div>
<script type="application/json" id="explorer-data">${scriptJson(d)}</script>
<script>
(() => {
  const d = JSON.parse(document.getElementById('explorer-data').textContent);
  const pick = document.getElementById('explorer-pick');
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  pick.addEventListener('change', () => {
    const item = d.items[Number(pick.value)];
    document.getElementById('explorer-prompt').textContent = item.prompt;
    const grid = document.getElementById('explorer-grid');
    grid.replaceChildren(...item.answers.map((a, k) => {
      const card = el('div', 'card');
      card.dataset.run = d.runs[k];
      card.append(el('h3', '', d.runs[k]));
      const meta = el('div', 'meta');
      if (a.verdict) { meta.append(el('span', a.verdict.tone, a.verdict.text), ' · '); }
      meta.append([a.chars + ' chars', ...(a.tokens !== undefined ? [a.tokens + ' tokens'] : []), ...(a.eos !== undefined ? [a.eos ? 'ended with EOS' : 'cut at the limit'] : [])].join(' · '));
      const pre = el('pre', '', a.output);
      if (a.output === '') pre.append(el('i', '', '(empty)'));
      card.append(meta, pre);
      return card;
    }));
  });
})();
</script></div>`;
}
