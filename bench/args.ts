/**
 * The one command-line parser of the repository's CLIs (`npm run bench`, `experiment`, `lab`,
 * `train`, the single-suite CLIs, the GPU probe, the README table generator): Node's
 * `util.parseArgs` under a declaration of each option — its name, whether it takes a value, how
 * the value is checked and converted, its default and its help line. The `--help` text is made
 * from the same declarations, and every mistake (unknown option, missing value, bad number, bad
 * choice) is an {@link ArgumentError} whose message names the option and what it expected.
 *
 * Values are given as `--name=value` or `--name value`; flags take no value. `--help` and `-h`
 * are declared for every command.
 */
import { parseArgs } from 'node:util';
import { ArgumentError } from '../engine/runtime/errors';
import type { Parse } from './arg-checks';

export * from './arg-checks';

interface Common {
  help: string;
  /** A one-letter form, e.g. `h` for `-h`. */
  short?: string;
  /** Other names accepted for the option (not shown in the help), e.g. `suite` for `suites`. */
  aliases?: readonly string[];
}

/** An option without a value: `--tiny`. Its value is whether it was given. */
export interface FlagOption extends Common {
  kind: 'flag';
}

/** An option with a value: `--samples=9`. Given twice, the last one counts. */
export interface ValueOption<T> extends Common {
  kind: 'value';
  /** The value's name in the help, e.g. `N`. */
  arg: string;
  parse: Parse<T>;
  default?: T;
  /** The default as the help shows it (default: `String(default)`); `false`: not shown. */
  defaultText?: string | false;
  /** Whether `--name=` (an empty value) is a value; otherwise it is refused as missing. */
  allowEmpty?: boolean;
}

/** An option that may be repeated: every value, in order. */
export interface ListOption<T> extends Common {
  kind: 'list';
  arg: string;
  parse: Parse<T>;
  allowEmpty?: boolean;
}

export type OptionSpec = FlagOption | ValueOption<unknown> | ListOption<unknown>;
export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed value of each declared option. */
export type Values<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends FlagOption
    ? boolean
    : S[K] extends ListOption<infer T>
      ? T[]
      : S[K] extends ValueOption<infer T> & { default: unknown }
        ? T
        : S[K] extends ValueOption<infer T>
          ? T | undefined
          : never;
} & { help: boolean };

/** A command: its name (in messages), what the help says before the options, and the options. */
export interface Command<S extends OptionSpecs> {
  program: string;
  /** The synopsis and description, printed above the options. */
  usage: string;
  options: S;
  /** Positional arguments allowed: their name in the help, e.g. `<spec.ts>`; absent: none. */
  positionals?: string;
  /** Printed below the options. */
  footer?: string;
}

/** What {@link parseCommand} found. */
export interface Parsed<S extends OptionSpecs> {
  values: Values<S>;
  positionals: string[];
  /** The options that were given (their declared names), for checks that depend on them. */
  given: Set<keyof S & string>;
}

/** A flag: `--name`, no value. */
export function flag(help: string, more: Omit<FlagOption, 'kind' | 'help'> = {}): FlagOption {
  return { kind: 'flag', help, ...more };
}

/** An option with a value, checked and converted by `parse`. */
export function option<T>(
  arg: string,
  help: string,
  parse: Parse<T>,
  more: Omit<ValueOption<T>, 'kind' | 'arg' | 'help' | 'parse' | 'default'> & { default: T },
): ValueOption<T> & { default: T };
export function option<T>(
  arg: string,
  help: string,
  parse: Parse<T>,
  more?: Omit<ValueOption<T>, 'kind' | 'arg' | 'help' | 'parse' | 'default'>,
): ValueOption<T>;
export function option<T>(arg: string, help: string, parse: Parse<T>, more: Omit<ValueOption<T>, 'kind' | 'arg' | 'help' | 'parse'> = {}): ValueOption<T> {
  return { kind: 'value', arg, help, parse, ...more };
}

/** A repeatable option: the values of every occurrence, in order. */
export function repeatable<T>(arg: string, help: string, parse: Parse<T>, more: Omit<ListOption<T>, 'kind' | 'arg' | 'help' | 'parse'> = {}): ListOption<T> {
  return { kind: 'list', arg, help, parse, ...more };
}

const HELP: FlagOption = { kind: 'flag', help: 'this text', short: 'h' };

function withHelp<S extends OptionSpecs>(options: S): OptionSpecs {
  return { ...options, help: options.help ?? HELP };
}

/**
 * Parses `argv` (without the node and script paths) against the command's declarations. Unknown
 * options, a missing or bad value, a value given to a flag and positionals where none are declared
 * throw {@link ArgumentError}.
 */
export function parseCommand<S extends OptionSpecs>(cmd: Command<S>, argv: readonly string[]): Parsed<S> {
  const specs = withHelp(cmd.options);
  const byName = new Map<string, string>();
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    for (const n of [name, ...(spec.aliases ?? [])]) {
      byName.set(n, name);
      config[n] = { type: spec.kind === 'flag' ? 'boolean' : 'string', ...(n === name && spec.short ? { short: spec.short } : {}) };
    }
  }
  // Not strict: unknown options come back as tokens, refused below with this module's messages.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.kind === 'flag') values[name] = false;
    else if (spec.kind === 'list') values[name] = [];
    else if (spec.default !== undefined) values[name] = spec.default;
  }
  const positionals: string[] = [];
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (cmd.positionals === undefined) throw new ArgumentError(`${cmd.program}: unexpected argument "${token.value}" (see --help)`);
      positionals.push(token.value);
      continue;
    }
    const name = byName.get(token.name);
    if (name === undefined) throw new ArgumentError(`${cmd.program}: unknown option ${token.rawName} (see --help)`);
    const spec = specs[name];
    given.add(name);
    if (spec.kind === 'flag') {
      if (token.value !== undefined) throw new ArgumentError(`--${token.name} takes no value (got "${token.rawName}=${token.value}")`);
      values[name] = true;
      continue;
    }
    if (token.value === undefined || (token.value === '' && !spec.allowEmpty))
      throw new ArgumentError(`--${token.name} needs a value: --${token.name}=${spec.arg}`);
    const value = spec.parse(token.value, name);
    if (spec.kind === 'list') (values[name] as unknown[]).push(value);
    else values[name] = value;
  }
  return { values: values as Values<S>, positionals, given: given as Set<keyof S & string> };
}

/** Splits `text` into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** The `--help` text: the usage, then one entry per option (its form, its help, its default), then the footer. */
export function helpText<S extends OptionSpecs>(cmd: Command<S>): string {
  const entries = Object.entries(withHelp(cmd.options)).map(([name, spec]) => {
    const form = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.kind === 'flag' ? '' : `=${spec.arg}`}`;
    let help = spec.help;
    if (spec.kind === 'list') help += ' (repeatable)';
    if (spec.kind === 'value' && spec.default !== undefined && spec.defaultText !== false) help += ` (default ${spec.defaultText ?? String(spec.default)})`;
    return { form, help };
  });
  const column = Math.min(26, Math.max(...entries.map((e) => e.form.length)) + 2);
  const width = 100 - 2 - column;
  const lines = entries.flatMap(({ form, help }) => {
    const body = wrap(help, width);
    const first = form.length + 2 > column ? [`  ${form}`, ''.padEnd(column)] : [`  ${form.padEnd(column)}`];
    const head = first.length === 2 ? [first[0], `  ${first[1]}${body[0]}`] : [`${first[0]}${body[0]}`];
    return [...head, ...body.slice(1).map((l) => `  ${''.padEnd(column)}${l}`)];
  });
  return [cmd.usage, '', ...lines, ...(cmd.footer ? ['', cmd.footer] : [])].join('\n');
}

/**
 * For a script's top level: parses this process's arguments; prints the help and exits 0 on
 * `--help`, prints the message and exits 1 on a bad argument.
 */
export function parseProcessArgs<S extends OptionSpecs>(cmd: Command<S>): Parsed<S> {
  try {
    const parsed = parseCommand(cmd, process.argv.slice(2));
    if (parsed.values.help) {
      console.log(helpText(cmd));
      process.exit(0);
    }
    return parsed;
  } catch (e) {
    if (!(e instanceof ArgumentError)) throw e;
    console.error(`${e.name}: ${e.message}`);
    process.exit(1);
  }
}
