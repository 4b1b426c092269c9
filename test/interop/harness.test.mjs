/*
 * harness.test.mjs
 *	  The canonical renderings and the row comparison of lib.mjs on their
 *	  own (no server needed): the other suites are only as good as these.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from './lib.mjs';

test('canonDecimal: exact, scale-insensitive, no float rounding', () => {
	const cases = [
		['1.50', '1.5'], ['1.5', '1.5'], ['-0.00', '0'], ['0', '0'], ['100', '100'], ['1e2', '100'],
		['-12345678901234567890123456789.0123456789', '-12345678901234567890123456789.0123456789'],
		['0.0000000001', '0.0000000001'], ['1.0E-10', '0.0000000001'], ['-1.5e300', '-15e299'],
		['NaN', 'NaN'], ['Infinity', 'Infinity'], ['-Infinity', '-Infinity'], ['007.100', '7.1'],
	];
	for (const [input, want] of cases)
		assert.equal(L.canonDecimal(input), want, input);
	assert.notEqual(L.canonDecimal('9007199254740993'), L.canonDecimal('9007199254740992'));
});

test('canonFloat: shortest exact text, single precision rounded first', () => {
	assert.equal(L.canonFloat('1.1', true), L.canonFloat(Math.fround(1.1), true));
	assert.notEqual(L.canonFloat('1.1', false), L.canonFloat(Math.fround(1.1), false));
	assert.equal(L.canonFloat('-0', false), '-0');
	assert.equal(L.canonFloat('NaN', false), 'NaN');
	assert.equal(L.canonFloat('-Infinity', true), '-Infinity');
	assert.equal(L.canonFloat('5e-324', false), '5e-324');
	assert.equal(L.canonFloat('0.1', false), '0.1');
	assert.notEqual(L.canonFloat('0.1', false), L.canonFloat('0.10000000000000002', false));
	assert.match(L.canonFloat('garbage', false), /^<bad float/);
});

test('canonJson: key order and spacing do not matter, values do', () => {
	assert.equal(L.canonJson('{"b": [1, 2.50, {"z": null, "a": true}], "a": "x"}'),
		L.canonJson('{"a":"x","b":[1,2.5,{"a":true,"z":null}]}'));
	assert.notEqual(L.canonJson('{"a": 12345678901234567890}'), L.canonJson('{"a": 12345678901234567891}'));
	assert.notEqual(L.canonJson('[1, 2]'), L.canonJson('[2, 1]'));
	assert.notEqual(L.canonJson('null'), L.canonJson('"null"'));
	assert.equal(L.canonJson('"\\u00fc\\n"'), JSON.stringify('ü\n'));
	assert.throws(() => L.canonJson('{"a": 1'));
	assert.throws(() => L.canonJson('[1] x'));
});

test('assertRowsEqual reports a different cell, a missing row, and honours match()', () => {
	const cols = [{ name: 'a', kind: 'int' }, { name: 'ns', kind: 'ts_ns' }];
	L.assertRowsEqual([['1', '5']], [['1', '5000']], cols, 'equal');
	L.assertRowsEqual([['1', '5']], [['1', '5999']], cols, 'truncated ns');
	L.assertRowsEqual([['1', '6']], [['1', '5001']], cols, 'rounded ns');
	assert.throws(() => L.assertRowsEqual([['1', '7']], [['1', '5000']], cols, 'x'), /column ns/);
	assert.throws(() => L.assertRowsEqual([['2', '5']], [['1', '5000']], cols, 'x'), /row 0 column a/);
	assert.throws(() => L.assertRowsEqual([], [['1', '5000']], cols, 'x'), /row count/);
	assert.throws(() => L.assertRowsEqual([[L.NULL_MARK, '5']], [['', '5000']], cols, 'x'), /got NULL/);
});

test('formatG follows C printf %.6g (the golden normalisation of floats)', () => {
	const cases = [[0, '0'], [9.9, '9.9'], [10, '10'], [1e6, '1e+06'], [123456, '123456'], [1234567, '1.23457e+06'],
		[0.0001, '0.0001'], [0.00001234, '1.234e-05'], [-2.5, '-2.5'], [1 / 3, '0.333333'], [Infinity, 'inf'], [NaN, 'nan'],
		[100000, '100000'], [999999.5, '1e+06'], [1e-300, '1e-300'], [-0, '-0']];
	for (const [x, want] of cases)
		assert.equal(L.formatG(x, 6), want, String(x));
});

test('the PRNG is reproducible', () => {
	const a = L.prng(42);
	const b = L.prng(42);
	const xs = Array.from({ length: 5 }, () => a.int(1000));
	assert.deepEqual(Array.from({ length: 5 }, () => b.int(1000)), xs);
	assert.ok(new Set(xs).size > 1);
});
