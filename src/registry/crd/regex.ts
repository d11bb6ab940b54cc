// Go regular expressions for `pattern`: the translator lives in the api layer
// (src/api/cel/re2.ts), shared with CEL's matches, find and findAll.

export { compileGoRegexp, GoRegexpError } from '../../api/cel/re2.ts';
