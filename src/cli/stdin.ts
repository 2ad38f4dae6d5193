import { createInterface } from 'node:readline';

/**
 * The first line of standard input, without its line ending. Only the first line is read, so
 * `echo pw | …` and a typed line both work; nothing else on stdin is consumed or echoed anywhere.
 */
export async function readFirstLine(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (input.isTTY) process.stderr.write(prompt);
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
    input.destroy(); // a terminal left open would keep the process alive
  }
}
