import { describe, expect, it } from 'vitest';
import { bearerToken, maskSecret, safeEqual, secretMatcher } from '../src/secrets.js';

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
