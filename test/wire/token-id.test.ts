/**
 * What a token id must be, for the client, the scheduler and the engine alike: a non-empty,
 * well-formed string that stays one URL path segment.
 */
import { describe, expect, it } from 'vitest';
import {
  isValidTokenId,
  LONE_SURROGATE,
  repeatsOf,
  tokenIdListProblem,
  tokenIdProblem,
} from '../../src/wire/token-id.js';
import { uint256Problem } from '../../src/wire/zkevm/limits.js';

const HIGH = '\uD83E'; // first half of 🦄
const LOW = '\uDD84'; // second half of 🦄

describe('tokenIdProblem', () => {
  it.each([
    ['a decimal id', '42'],
    ['a zero', '0'],
    ['an id with letters and dots', 'hero.v2'],
    ['three dots (a name, not a path step)', '...'],
    ['a dot inside', 'a.'],
    ['an emoji (a surrogate pair)', '🦄'],
    ['a pair between other text', `a${HIGH}${LOW}b`],
    ['two pairs in a row', '🦄🦄'],
    ['text outside the BMP next to text inside it', 'é🦄é'],
  ])('accepts %s', (_name, id) => {
    expect(tokenIdProblem(id)).toBeUndefined();
    expect(isValidTokenId(id)).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['a number', 42, 'must be a string'],
    ['undefined', undefined, 'must be a string'],
    ['null', null, 'must be a string'],
    ['an empty string', '', 'must not be empty'],
    ['"."', '.', 'must not be "." or ".."'],
    ['".."', '..', 'must not be "." or ".."'],
    ['a lone first half at the end', `a${HIGH}`, 'must be well-formed Unicode'],
    ['a lone first half followed by text', `${HIGH}a`, 'must be well-formed Unicode'],
    ['a lone second half at the start', `${LOW}a`, 'must be well-formed Unicode'],
    ['a lone second half after text', `a${LOW}`, 'must be well-formed Unicode'],
    ['a pair in the wrong order', `${LOW}${HIGH}`, 'must be well-formed Unicode'],
    ['two first halves', `${HIGH}${HIGH}${LOW}`, 'must be well-formed Unicode'],
    ['a pair then a lone second half', `${HIGH}${LOW}${LOW}`, 'must be well-formed Unicode'],
    ['a lone half alone', HIGH, 'must be well-formed Unicode'],
  ])('refuses %s', (_name, id, problem) => {
    expect(tokenIdProblem(id)).toBe(problem);
    expect(isValidTokenId(id)).toBe(false);
  });
});

describe('LONE_SURROGATE', () => {
  it('finds exactly the strings encodeURIComponent cannot encode', () => {
    const samples = [
      '',
      'a',
      '🦄',
      HIGH,
      LOW,
      `${HIGH}${LOW}`,
      `${LOW}${HIGH}`,
      `${HIGH}${HIGH}`,
      `${LOW}${LOW}`,
      `x${HIGH}y`,
      `x${LOW}y`,
      `${HIGH}${LOW}${HIGH}${LOW}`,
      `${HIGH}${LOW}${HIGH}`,
      `${LOW}${HIGH}${LOW}`,
    ];
    for (const sample of samples) {
      let encodable = true;
      try {
        encodeURIComponent(sample);
      } catch {
        encodable = false;
      }
      expect({ sample, lone: LONE_SURROGATE.test(sample) }).toEqual({
        sample,
        lone: !encodable,
      });
    }
  });
});

describe('tokenIdListProblem: the one home of the list rules', () => {
  it('checks array, non-empty, count, each id, then distinct, in that order', () => {
    expect(tokenIdListProblem('1')).toEqual({ kind: 'notArray' });
    expect(tokenIdListProblem([])).toEqual({ kind: 'empty' });
    expect(tokenIdListProblem(['1', '2', '3'], { max: 2 })).toEqual({
      kind: 'tooMany',
      count: 3,
      max: 2,
    });
    expect(tokenIdListProblem(['1', '', '1'])).toEqual({
      kind: 'invalid',
      items: [{ index: 1, value: '', problem: 'must not be empty' }],
    });
    expect(tokenIdListProblem(['1', '2', '1', '1'])).toEqual({
      kind: 'repeated',
      repeats: [
        { id: '1', index: 2, first: 0 },
        { id: '1', index: 3, first: 0 },
      ],
    });
    expect(tokenIdListProblem(['1', '2'])).toBeUndefined();
  });

  it('takes the API’s own id rule (zkEVM: a uint256)', () => {
    expect(tokenIdListProblem(['01'], { idProblem: uint256Problem })).toMatchObject({
      kind: 'invalid',
    });
    expect(repeatsOf(['a', 'b'])).toEqual([]);
  });
});
