// Repetition in WGSL without writing it out: kernels that keep a tile of accumulators in
// registers must name every one (WGSL has no register arrays a compiler reliably keeps out of
// memory, and subgroupBroadcast wants a constant lane), so their source is regular but long.
// Three directives, each a line of its own, write it once:
//   // #for i in 0..16      the lines up to the matching `// #end`, once for i = 0 … 15, with
//   …$(i)…                  every `$(i)` replaced by the value (loops nest);
//   // #end
//   // #block NAME          the lines up to `// #endblock`, emitted here and remembered;
//   // #endblock
//   // #use NAME            the remembered block again (also from an included file), so a
//                           variant kernel reuses its base kernel's pieces instead of a copy.
// The expansion is plain text: the WGSL compiled is what one would have written by hand.

type Node =
  | string
  | { kind: 'for'; name: string; lo: number; hi: number; body: Node[] }
  | { kind: 'block'; name: string; body: Node[] }
  | { kind: 'use'; name: string };

const FOR = /^\s*\/\/ #for (\w+) in (\d+)\.\.(\d+)\s*$/;
const BLOCK = /^\s*\/\/ #block (\w+)\s*$/;
const USE = /^\s*\/\/ #use (\w+)\s*$/;
const END = /^\s*\/\/ #end\s*$/;
const ENDBLOCK = /^\s*\/\/ #endblock\s*$/;

/** Expands #for / #block / #use in a shader's text (see the file comment); `where` names it in errors. */
export function expandShaderText(code: string, where: string): string {
  const lines = code.split('\n');
  let i = 0;
  const parse = (end: RegExp | null, opened: string): Node[] => {
    const out: Node[] = [];
    while (i < lines.length) {
      const line = lines[i++]!;
      if (end?.test(line)) return out;
      let m: RegExpExecArray | null;
      if ((m = FOR.exec(line)))
        out.push({ kind: 'for', name: m[1]!, lo: Number(m[2]), hi: Number(m[3]), body: parse(END, `#for at line ${i}`) });
      else if ((m = BLOCK.exec(line))) out.push({ kind: 'block', name: m[1]!, body: parse(ENDBLOCK, `#block ${m[1]} at line ${i}`) });
      else if ((m = USE.exec(line))) out.push({ kind: 'use', name: m[1]! });
      else if (END.test(line) || ENDBLOCK.test(line)) throw new Error(`${where}: line ${i}: ${line.trim()} without an opening directive`);
      else out.push(line);
    }
    if (end) throw new Error(`${where}: ${opened} is never closed`);
    return out;
  };
  const tree = parse(null, '');
  const blocks = new Map<string, Node[]>();
  const render = (nodes: readonly Node[], env: ReadonlyMap<string, number>): string[] =>
    nodes.flatMap((n): string[] => {
      if (typeof n === 'string') {
        return [
          n.replace(/\$\((\w+)\)/g, (_, v: string) => {
            const x = env.get(v);
            if (x === undefined) throw new Error(`${where}: $(${v}) outside a #for over ${v}`);
            return String(x);
          }),
        ];
      }
      if (n.kind === 'for')
        return Array.from({ length: Math.max(0, n.hi - n.lo) }, (_, k) => render(n.body, new Map([...env, [n.name, n.lo + k]]))).flat();
      if (n.kind === 'block') {
        if (blocks.has(n.name)) throw new Error(`${where}: #block ${n.name} is defined twice`);
        blocks.set(n.name, n.body);
        return render(n.body, env);
      }
      const body = blocks.get(n.kind === 'use' ? n.name : '');
      if (!body) throw new Error(`${where}: #use ${n.name} before any #block ${n.name}`);
      return render(body, env);
    });
  return render(tree, new Map()).join('\n');
}
