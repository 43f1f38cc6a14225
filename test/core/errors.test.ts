/** describeError: what a log line says about an error, whichever layer threw it. */
import { ConflictError, describeError, InputError } from '../../src/core/errors/index.js';

describe('describeError', () => {
  it.each<[string, unknown, Record<string, unknown>]>([
    [
      'an EnvcatError: code, path, message',
      new ConflictError('the namespace "a" is already taken', { path: '/spec/namespace' }),
      { code: 'CONFLICT', path: '/spec/namespace', message: 'the namespace "a" is already taken' },
    ],
    [
      'an InputError: its first problem is the path',
      new InputError([{ path: '/metadata/name', message: 'must not be empty' }]),
      {
        code: 'INVALID_INPUT',
        path: '/metadata/name',
        message: '1 problem(s):\n#/metadata/name: must not be empty',
      },
    ],
    [
      'a Node system error: name, message and its code',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' },
    ],
    [
      'an Error without a code',
      new TypeError('x is not a function'),
      { name: 'TypeError', message: 'x is not a function' },
    ],
    [
      'a code that is not a string or number is left out',
      Object.assign(new Error('e'), { code: { a: 1 } }),
      { name: 'Error', message: 'e' },
    ],
    ['a thrown string', 'boom', { message: 'boom' }],
  ])('GIVEN %s THEN it is described as such', (_name, error, expected) => {
    expect(describeError(error)).toEqual(expected);
  });
});
