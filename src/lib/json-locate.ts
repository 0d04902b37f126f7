/**
 * Where a JSON text goes wrong. Node 20's `JSON.parse` names no position for some errors
 * (`Unexpected token 'x', "{"a": x}" is not valid JSON`) and quotes the text, newlines and all;
 * this small scanner finds the first bad character itself. Used only after `JSON.parse` failed.
 */

export interface JsonErrorLocation {
  /** 0-based character offset. */
  offset: number;
  reason: string;
}

class Located extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * @example locateJsonError('{"a": x}') // { offset: 6, reason: "unexpected 'x'" }
 */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Located(
      at,
      at >= text.length && !reason.includes('end of input') ? `unexpected end of input (${reason})` : reason,
    );
  };
  const unexpected = (): never =>
    i >= text.length
      ? fail('unexpected end of input')
      : fail(`unexpected ${JSON.stringify(text[i]).replace(/^"|"$/g, "'")}`);
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) unexpected();
      i += 1;
    }
  };
  const string = () => {
    i += 1;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const ch = text[i];
      if (ch === '"') {
        i += 1;
        return;
      }
      if (ch < ' ') fail('control character in a string (escape it)');
      if (ch === '\\') {
        i += 1;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('bad escape in a string');
      }
      i += 1;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '-') unexpected();
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') fail("expected ':' after the property name");
        i += 1;
        value();
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === '}') {
          i += 1;
          return;
        } else fail("expected ',' or '}'");
      }
    }
    if (ch === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === ']') {
          i += 1;
          return;
        } else fail("expected ',' or ']'");
      }
    }
    if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch >= '0' && ch <= '9')) number();
    else unexpected();
  };
  try {
    value();
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof Located) return { offset: error.offset, reason: error.message };
    return undefined; // Nesting too deep for this scanner: the caller falls back to JSON.parse's words.
  }
}
