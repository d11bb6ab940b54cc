import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('Kubernetes list functions', () => {
  expectValues([
    ['[1, 2, 3].isSorted()', true], ["['a', 'b', 'b', 'c'].isSorted()", true], ['[2.0, 1.0].isSorted()', false], ['[].isSorted()', true],
    ['[1, 2, 3].sum()', 6n], ['[1.5, 2.5].sum()', 4], ['[].sum()', 0n],
    ['[1, 2, 3].max()', 3n], ['[1, 2, 3].min()', 1n], ["['b', 'a'].min()", 'a'],
    ['[1, 2, 3, 2].indexOf(2)', 1n], ['[1, 2, 3, 2].lastIndexOf(2)', 3n], ['[1, 2].indexOf(5)', -1n],
    ['self.sum()', 6n], ['self.max()', 3n], ['self.indexOf(2)', 1n],
  ], { self: [1n, 2n, 3n] });
  expectErrors([['[].min()', 'min called on empty list'], ['[].max()', 'max called on empty list'], ['[9223372036854775807, 1].sum()', 'integer overflow']]);
});

test('cel-go list extension', () => {
  expectValues([
    ['[1,2,3,4].slice(1, 3)', [2n, 3n]], ['[1,2,3,4].slice(2, 4)', [3n, 4n]],
    ['[[1],[2,3],[4]].flatten()', [1n, 2n, 3n, 4n]], ['self.a.flatten()', [1n, 2n, 3n, 4n]], ['self.b.flatten()', [1n, 2n, [3n, 4n]]],
    ['self.c.flatten()', [1n, 2n, 3n, 4n]], ['self.d.flatten(2)', [1n, 2n, 3n, [4n]]], ['self.d.flatten(0)', [1n, [2n, [3n, [4n]]]]],
    ['[1, 2, 2, 3, 3, 3].distinct()', [1n, 2n, 3n]], ["['b', 'b', 'c', 'a', 'c'].distinct()", ['b', 'c', 'a']],
    ['[5, 3, 1, 2].reverse()', [2n, 1n, 3n, 5n]],
    ['[3, 2, 1].sort()', [1n, 2n, 3n]], ["['b', 'c', 'a'].sort()", ['b', 'c', 'a'].sort()],
    ['lists.range(5)', [0n, 1n, 2n, 3n, 4n]], ['lists.range(0)', []],
    ['self.players.sortBy(e, e.score).map(e, e.name)', ['bar', 'foo', 'baz']],
  ], {
    self: {
      players: [{ name: 'foo', score: 0n }, { name: 'bar', score: -10n }, { name: 'baz', score: 1000n }],
      a: [1n, [2n, 3n], [4n]], b: [1n, [2n, [3n, 4n]]], c: [1n, 2n, [], [], [3n, 4n]], d: [1n, [2n, [3n, [4n]]]],
    },
  });
  expectErrors([
    ['[1,2,3].slice(-1, 2)', 'cannot slice(-1, 2), negative indexes not supported'],
    ['[1,2,3].slice(2, 1)', 'cannot slice(2, 1), start index must be less than or equal to end index'],
    ['[1,2,3].slice(0, 5)', 'cannot slice(0, 5), list is length 3'],
    ['self.d.flatten(-1)', 'level must be non-negative'],
    ['self.mixed.sort()', 'list elements must have the same type'],
    ['[[1, 2, 3]].sort()', 'list elements must be comparable'],
  ], { self: { mixed: [1n, 'b'], d: [1n, [2n]] } });
});

test('sets', () => {
  expectValues([
    ['sets.contains([], [])', true], ['sets.contains([], [1])', false], ['sets.contains([1, 2, 3, 4], [2, 3])', true],
    ['sets.contains(self.a, self.b)', true],
    ['sets.equivalent([], [])', true], ['sets.equivalent([1], [1, 1])', true], ['sets.equivalent([1, 2, 3], [3, 2, 1])', true], ['sets.equivalent([1], [2])', false],
    ['sets.intersects([1], [])', false], ['sets.intersects([1], [1, 2])', true], ['sets.intersects([[1], [2, 3]], [[1, 2], [2, 3]])', true],
  ], { self: { a: [1n, 2, 3n], b: [1, 2n] } });
});
