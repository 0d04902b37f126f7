/**
 * Reading JSON the user hands us (a file or `-` for stdin), with parse errors as one line
 * that names the line and column.
 */
import { readFile } from 'node:fs/promises';
import { usageError } from './errors.js';
import { depthExceededAt, MAX_JSON_DEPTH } from './lib/json-depth.js';
import { locateJsonError } from './lib/json-locate.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Parses JSON text; a syntax error becomes a usage error naming where it is.
 * @example parseJsonText('{', 'stdin') // throws "stdin: invalid JSON at line 1, column 2: ..."
 */
export function parseJsonText(text: string, source: string): unknown {
  const deep = depthExceededAt(text);
  if (deep >= 0) {
    const { line, column } = lineColumn(text, deep);
    throw usageError(
      `${source}: JSON nested deeper than ${MAX_JSON_DEPTH} levels (the limit) at line ${line}, column ${column}`,
      'respond.io payloads nest fewer than 10 levels: flatten the document',
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const located = locateJsonError(text);
    const position = /position (\d+)/.exec(message);
    const offset = located?.offset ?? (position ? Number(position[1]) : text.length);
    const { line, column } = lineColumn(text, offset);
    // One line: Node 20 quotes the whole text (newlines too) in some of its messages.
    const reason =
      located?.reason ??
      message
        .replace(/ in JSON at position \d+.*$/s, '')
        .replace(/^JSON\.parse: /, '')
        .replace(/\s+/g, ' ');
    throw usageError(
      `${source}: invalid JSON at line ${line}, column ${column}: ${reason}`,
      'check the file is one JSON document',
    );
  }
}

/** Reads and parses a JSON file, or stdin for `-`. */
export async function readJsonInput(file: string): Promise<{ value: unknown; source: string }> {
  const source = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : String(code ?? error);
    throw usageError(`${source}: cannot read (${why})`, 'pass a JSON file path, or - to read stdin');
  }
  return { value: parseJsonText(text, source), source };
}
