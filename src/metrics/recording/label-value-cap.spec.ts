import { describe, expect, it } from '@jest/globals';
import { cutLabelValue } from './label-value-cap.js';

describe('cutLabelValue', () => {
  it('keeps a value of the limit, and cuts a longer one to it with a mark', () => {
    expect(cutLabelValue('abcd', 4)).toBe('abcd');
    expect(cutLabelValue('abcde', 4)).toBe('abcd…');
    expect(cutLabelValue('', 4)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    // '😀' is two UTF-16 code units; a cut between them would leave half a character.
    expect(cutLabelValue('abc😀d', 4)).toBe('abc…');
    expect(cutLabelValue('ab😀d', 4)).toBe('ab😀…');
  });
});
