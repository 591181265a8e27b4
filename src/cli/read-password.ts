import { CommandError } from './args.js';

/** The terminal (or pipe) a password is read from, and where its prompts go. */
export interface PasswordStreams {
  /** On a terminal, `setRawMode` turns echo off. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stderr: NodeJS.WritableStream;
}

type Terminal = PasswordStreams & { stdin: { setRawMode: (mode: boolean) => unknown } };

/**
 * Reads a password without it ever being an argument (argv is visible to every user of the
 * machine in `ps` and lands in shell history): from an interactive prompt with echo off, or,
 * when stdin is not a terminal (a pipe, a secret file), its first line.
 */
export async function readPassword(prompt: string, streams: PasswordStreams, options: { confirm?: boolean } = {}): Promise<string> {
  if (!isTerminal(streams)) {
    const text = await readAll(streams.stdin);
    const password = text.split(/\r?\n/, 1)[0] ?? '';
    if (password === '') throw new CommandError('no password on stdin');
    return password;
  }
  const password = await promptHidden(prompt, streams);
  if (options.confirm && (await promptHidden('Repeat password: ', streams)) !== password) throw new CommandError('the passwords differ');
  if (password === '') throw new CommandError('empty password');
  return password;
}

function isTerminal(streams: PasswordStreams): streams is Terminal {
  return Boolean(streams.stdin.isTTY && streams.stdin.setRawMode);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Raw-mode prompt: characters are collected, never echoed; Ctrl-C aborts, backspace edits. */
function promptHidden(prompt: string, { stdin, stderr }: Terminal): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo goes off before the prompt shows, so nothing typed in answer to it is ever displayed.
    stdin.setRawMode(true);
    stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CommandError('aborted'));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
