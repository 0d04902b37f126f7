import { describe, expect, it } from 'vitest';
import { bearerHeaderMatcher, bearerToken, maskSecret, safeEqual, secretMatcher } from '../src/secrets.js';

describe('secretMatcher (the /message token check)', () => {
  const token = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
  const isToken = secretMatcher(token);

  it('accepts the secret, again and again (its buffer is reused)', () => {
    expect(isToken(token)).toBe(true);
    expect(isToken(`${token.slice(0, -1)}X`)).toBe(false);
    expect(isToken(token)).toBe(true);
  });

  it('refuses a candidate of another length, longer or shorter', () => {
    expect(isToken(`${token}x`)).toBe(false);
    expect(isToken(token.slice(1))).toBe(false);
    expect(isToken('')).toBe(false);
  });

  it('compares bytes: as many characters but more bytes, or as many bytes but other characters, is refused', () => {
    const ascii = secretMatcher('abcd');
    expect(ascii('abcé')).toBe(false); // 4 characters, 5 bytes
    expect(ascii('abé')).toBe(false); // 4 bytes, 3 characters
    const accented = secretMatcher('abé');
    expect(accented('abé')).toBe(true);
    expect(accented('abcd')).toBe(false);
  });

  it('agrees with safeEqual', () => {
    for (const candidate of [token, token.toUpperCase(), 'short', `${token} `]) {
      expect(isToken(candidate)).toBe(safeEqual(candidate, token));
    }
  });
});

describe('bearerHeaderMatcher (the usual Authorization header, in one pass)', () => {
  const token = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
  const isUsual = bearerHeaderMatcher(token);

  it('accepts exactly "Bearer <token>"', () => {
    expect(isUsual(`Bearer ${token}`)).toBe(true);
    expect(isUsual(`Bearer ${token}`)).toBe(true);
  });

  it('refuses another token, another length, another form or no header', () => {
    expect(isUsual(`Bearer ${token.slice(0, -1)}X`)).toBe(false);
    expect(isUsual(`Xearer ${token}`)).toBe(false);
    expect(isUsual(`Bearer ${token}x`)).toBe(false);
    expect(isUsual(`Bearer ${token.slice(0, -1)}`)).toBe(false);
    // Other forms are not "usual": the route parses them with bearerToken and compares again.
    expect(isUsual(`bearer ${token}`)).toBe(false);
    expect(isUsual(`Bearer  ${token}`)).toBe(false);
    expect(isUsual('')).toBe(false);
    expect(isUsual(undefined)).toBe(false);
  });

  it('compares code units: an accented character is not its neighbour', () => {
    const accented = bearerHeaderMatcher('abé');
    expect(accented('Bearer abé')).toBe(true);
    expect(accented('Bearer abe')).toBe(false);
    expect(accented('Bearer abè')).toBe(false);
  });
});

describe('bearerToken and maskSecret', () => {
  it('reads the token of a Bearer header, or nothing', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('masks a secret to its ends', () => {
    expect(maskSecret('46charTokenABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')).toBe('46ch…89');
    expect(maskSecret('short')).toBe('****');
  });
});
