import { createInterface } from 'node:readline';

type Output = Pick<NodeJS.WritableStream, 'write'>;

/**
 * The first line of standard input, without its line ending. Only the first line is read, so
 * `echo pw | …` and a typed line both work; nothing else on stdin is consumed or echoed anywhere.
 * At a terminal, what is typed is not shown (the terminal is put in raw mode while it is read).
 */
export async function readFirstLine(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
  output: Output = process.stderr,
): Promise<string> {
  if (input.isTTY) return readHidden(prompt, input, output);
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
    input.destroy(); // a terminal left open would keep the process alive
  }
}

/** A line typed at a terminal in raw mode: no echo; backspace edits, Enter ends, Ctrl-C aborts. */
function readHidden(prompt: string, input: NodeJS.ReadStream, output: Output): Promise<string> {
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.destroy(); // a terminal left open would keep the process alive
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}
