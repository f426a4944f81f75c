/**
 * The CLI: commander wiring only. Each command's module is imported when that command runs, so start-up
 * loads what the command needs and nothing else (probe start-up time is benchmarked).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, MONITORING_EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';
import { COMMANDS } from './command-definitions.js';
import { TOOL_VERSION } from '../report/version.js';
import { setUndiciLoadHook } from '../fetch/undici-pieces.js';
import { quickWasmForShortRuns } from './v8-flags.js';

/** Errors the user can fix: one line, exit 2, no stack trace. */
function isUserError(e: unknown): e is Error & { code?: string } {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === 'UsageError' || e.name === 'InputError' || code === 'BAD_TARGET' || code === 'NGINX_PARSE';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = EXIT.OK;
  setUndiciLoadHook(quickWasmForShortRuns);
  const program = new Command();
  program
    .name('tlsdoctor')
    .description('Predicts what nginx does with a TLS upstream, says why, and hands over a verified fix.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run tlsdoctor --help for usage)');

  // The command named first is the only one defined (help, --version, an unknown or no command: all of them).
  const first = argv[0];
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of names) COMMANDS[name]!(program, io, (code) => (exitCode = code));

  // A usage error names the help of the command it is about (commander copies the program's setting into each
  // subcommand when it is created, so set it again now that they exist).
  for (const c of program.commands) c.showHelpAfterError(`(run tlsdoctor ${c.name()} --help for usage)`);

  // check follows the monitoring-plugin convention: commander's own usage errors exit 3 (UNKNOWN) there, not 2.
  let usageExit: number = EXIT.USAGE;
  program.hook('preSubcommand', (_program, sub) => {
    if (sub.name() === 'check') usageExit = MONITORING_EXIT.UNKNOWN;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return usageExit;
    }
    if (isUserError(e)) {
      io.stderr(`tlsdoctor: ${e.message}\n`);
      return usageExit;
    }
    io.stderr(`tlsdoctor: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (io.env.TLSDOCTOR_DEBUG && e instanceof Error && e.stack) io.stderr(e.stack + '\n');
    return EXIT.INTERNAL;
  }
}
