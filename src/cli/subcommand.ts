// `heed <group> <sub> …` for the command groups (data, eval): the group's help for no name, --help
// or -h; an unknown name is refused together with the help.

/** The subcommand named by argv[0] and the arguments after it, or undefined once the help is printed. */
export function pickSubcommand<T>(
  argv: readonly string[],
  table: Record<string, T>,
  group: string,
  help: string,
): { sub: T; rest: string[] } | undefined {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(help);
    return undefined;
  }
  const sub = Object.hasOwn(table, name) ? table[name] : undefined; // never Object.prototype's members
  if (!sub) throw new Error(`unknown ${group} command "${name}"\n\n${help}`);
  return { sub, rest };
}
