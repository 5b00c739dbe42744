import { AppError } from './errors.ts';

/** What a command line tool reads and writes: its environment and two output streams. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * Runs a command line tool's body and answers its exit code; an error ends it with its message
 * (never a stack trace) and code 1. Tests call tools this way too, without a process of their own.
 */
export async function runCli(io: CliIo, body: (io: CliIo) => Promise<number>): Promise<number> {
  try {
    return await body(io);
  } catch (error) {
    io.err(error instanceof AppError || error instanceof Error ? error.message : String(error));
    return 1;
  }
}

/** The entry point of a tool: runs it with the process's environment and streams, then exits. */
export function runCliProcess(run: (argv: string[], io: CliIo) => Promise<number>): void {
  void run(process.argv.slice(2), processIo).then((code) => process.exit(code));
}
