/**
 * The shared command-line parser (bench/args.ts): values converted and checked as declared, every
 * mistake refused with a message naming the option, and the help made from the declarations.
 */
import { describe, expect, it } from 'vitest';
import { flag, helpText, integer, integerList, nameList, number, oneOf, option, parseCommand, repeatable, text } from '../../bench/args';
import { parseLabArgs } from '../../bench/lab/args';
import { ArgumentError } from '../../engine/runtime/errors';

const cmd = {
  program: 'demo',
  usage: 'demo [options]',
  options: {
    fast: flag('go fast'),
    count: option('N', 'how many', integer(2), { default: 3 }),
    rate: option('X', 'a rate', number(0, true)),
    mode: option('M', 'the mode', oneOf(['a', 'b'])),
    widths: option('A,B', 'widths', integerList(1)),
    name: repeatable('NAME', 'names', nameList, { aliases: ['names'] }),
    out: option('DIR', 'where', text),
  },
};

const refusal = (argv: string[]): string => {
  try {
    parseCommand(cmd, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return (e as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('the shared argument parser', () => {
  it('gives the defaults when nothing is given', () => {
    const { values, positionals, given } = parseCommand(cmd, []);
    expect(values).toEqual({ fast: false, count: 3, name: [], help: false });
    expect(positionals).toEqual([]);
    expect(given.size).toBe(0);
  });

  it('converts each value as declared, in both the --name=value and --name value forms', () => {
    const { values, given } = parseCommand(cmd, ['--fast', '--count=5', '--rate', '0.5', '--mode=b', '--widths=8,16', '--name=x,y', '--names', 'z', '--out=o']);
    expect(values).toEqual({ fast: true, count: 5, rate: 0.5, mode: 'b', widths: [8, 16], name: [['x', 'y'], ['z']], out: 'o', help: false });
    expect([...given].sort()).toEqual(['count', 'fast', 'mode', 'name', 'out', 'rate', 'widths']);
    expect(parseCommand(cmd, ['-h']).values.help).toBe(true);
  });

  it('refuses unknown options, stray arguments, missing values and values given to flags', () => {
    expect(refusal(['--bogus'])).toBe('demo: unknown option --bogus (see --help)');
    expect(refusal(['-x'])).toBe('demo: unknown option -x (see --help)');
    expect(refusal(['stray'])).toBe('demo: unexpected argument "stray" (see --help)');
    expect(refusal(['--out'])).toBe('--out needs a value: --out=DIR');
    expect(refusal(['--out='])).toBe('--out needs a value: --out=DIR');
    expect(refusal(['--fast=yes'])).toBe('--fast takes no value (got "--fast=yes")');
  });

  it('refuses bad numbers, lists and choices, naming what it expected', () => {
    expect(refusal(['--count=1'])).toBe('--count: expected an integer of at least 2, got "1"');
    expect(refusal(['--count=2.5'])).toMatch(/--count: expected an integer/);
    expect(refusal(['--rate=0'])).toBe('--rate: expected a positive number, got "0"');
    expect(refusal(['--rate=x'])).toMatch(/--rate: expected a positive number/);
    expect(refusal(['--mode=c'])).toBe('--mode: expected a or b, got "c"');
    expect(refusal(['--widths=8,x'])).toBe('--widths: expected positive integers separated by commas, got "8,x"');
    expect(refusal(['--name=,'])).toBe('--name: expected names separated by commas, got ","');
  });

  it('makes the help from the declarations: every option, its value, its default', () => {
    const help = helpText(cmd);
    expect(help.startsWith('demo [options]\n')).toBe(true);
    for (const name of Object.keys(cmd.options)) expect(help).toMatch(new RegExp(`^ {2}--${name}\\b`, 'm'));
    expect(help).toMatch(/--count=N +how many \(default 3\)/);
    expect(help).toMatch(/--name=NAME +names \(repeatable\)/);
    expect(help).toMatch(/-h, --help +this text/);
    expect(help.split('\n').every((l) => l.length <= 100)).toBe(true);
  });
});

describe('npm run lab options', () => {
  it('takes one spec file or a preset, params and peers', () => {
    const a = parseLabArgs(['k.ts', '--param', 'm=512', '--params=n=4,k=8', '--peers=none', '--samples=9', '--node']);
    expect(a).toMatchObject({ spec: 'k.ts', params: { m: 512, n: 4, k: 8 }, peers: [], samples: 9, node: true, timeoutS: 600, outDir: 'out/lab' });
    expect(parseLabArgs(['--preset=naive']).preset).toBe('naive');
    expect(parseLabArgs(['--help']).help).toBe(true);
  });

  it('refuses what it cannot run', () => {
    expect(() => parseLabArgs([])).toThrow('give a spec file or --preset=<name>');
    expect(() => parseLabArgs(['a.ts', 'b.ts'])).toThrow('one spec file at a time (got a.ts and b.ts)');
    expect(() => parseLabArgs(['a.ts', '--param=m'])).toThrow('--param: "m" is not NAME=NUMBER');
    expect(() => parseLabArgs(['a.ts', '--peers=torch'])).toThrow('--peers: unknown torch');
    expect(() => parseLabArgs(['a.ts', '--samples=4'])).toThrow('--samples: expected an integer of at least 5, got "4"');
    expect(() => parseLabArgs(['a.ts', '--bogus'])).toThrow('lab: unknown option --bogus');
  });
});
