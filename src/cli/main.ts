// The `heed` command: one entry point, one small module per subcommand.
import { commands } from './commands.ts';

const HELP = `heed — a tensor engine with hand-written WGSL kernels, for studying how Llama-style
models learn to follow instructions.

Usage: heed <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run \`heed <command> --help\` for a command's options.
Data is read from $HEED_DATA (default: ../shared/data beside the project).`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined; // "constructor" is not a command
  if (!cmd) {
    console.error(`heed: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(await cmd.help(rest));
    return 0;
  }
  try {
    return (await cmd.run(rest)) ?? 0;
  } catch (e) {
    console.error(`heed ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.HEED_DEBUG) console.error(e);
    return 1;
  }
}
