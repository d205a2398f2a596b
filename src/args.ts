// Command-line flags for the CLI and the npm scripts: node's parseArgs, with `--help` and mistakes
// answered in one plain line (parseArgs' own messages name its internals and hints about `--`).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: the caller prints it with the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Config = ParseArgsConfig & { options: NonNullable<ParseArgsConfig['options']> };
export type Parsed<T extends Config> = ReturnType<typeof parseArgs<T & { strict: true }>>;

/**
 * The parsed flags, or 'help' when `--help`/`-h` is among them (whatever else is). Throws a
 * UsageError for an unknown option, a missing or unwanted value, or a stray argument.
 */
export function parseFlags<T extends Config>(config: T): Parsed<T> | 'help' {
  const { tokens = [] } = parseArgs({ ...config, strict: false, allowPositionals: true, tokens: true });
  const options = config.options;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') break;
    if (t.kind === 'positional') {
      if (!config.allowPositionals) throw new UsageError(`unexpected argument "${t.value}"`);
      continue;
    }
    if (t.name === 'help' || (t.name === 'h' && !options.h)) return 'help';
    const spec = options[t.name];
    if (!spec) throw new UsageError(`unknown option ${t.rawName}`);
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
    if (spec.type === 'boolean' && t.inlineValue) throw new UsageError(`${t.rawName} takes no value`);
  }
  return parseArgs({ ...config, strict: true }) as Parsed<T>;
}

/**
 * parseFlags for an npm script: `--help` prints the usage and exits 0; a mistake prints one line
 * and the usage, and exits 2.
 */
export function scriptFlags<T extends Config>(name: string, usage: string, config: T): Parsed<T> {
  try {
    const parsed = parseFlags(config);
    if (parsed !== 'help') return parsed;
    process.stdout.write(usage);
    process.exit(0);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${name}: ${e.message}\n\n${usage}`);
    process.exit(2);
  }
}
