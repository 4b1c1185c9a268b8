// validate.js checks Amazon States Language definitions with asl-validator,
// path checks and ARN checks on. Usage: node validate.js FILE...
// It prints "ok FILE" or "invalid FILE" followed by one error per line, and
// exits 1 when any file is invalid (2 when asl-validator is missing).
// With --serve it reads one JSON array of files per line of its standard
// input instead, answers each with the same lines and then "end N", N the
// number of invalid files, and exits at the end of its input: the tests of
// one package start it once.
'use strict';
const fs = require('fs');
const path = require('path');

let validator;
try {
  // Resolve from the repository root (node_modules installed by npm ci).
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  const main = require.resolve('asl-validator', { paths: [root, process.cwd()] });
  reuseAjv(require(require.resolve('ajv', { paths: [path.dirname(main)] })));
  validator = require(main);
} catch (e) {
  console.error('asl-validator is not installed; run `npm ci` at the repository root: ' + e.message);
  process.exit(2);
}

// reuseAjv makes asl-validator's schema check reuse one Ajv instance.
// asl-validator builds a new Ajv on every call, with the same schemas and
// options, and compiles the state machine schema again: about 90 ms a
// definition, most of this package's test time. The one instance compiles
// it once; asl-validator's formats and keywords, added again on each call,
// are the same ones (a keyword already there is kept). TestValidatorRefuses
// checks that bad definitions are still refused after good ones.
function reuseAjv(mod) {
  const Ajv = mod.default;
  let one;
  mod.default = function Ajv1(opts) {
    if (one) {
      return one;
    }
    one = new Ajv(opts);
    const addKeyword = one.addKeyword.bind(one);
    one.addKeyword = (def, ...rest) => {
      const name = typeof def === 'string' ? def : def.keyword;
      const names = Array.isArray(name) ? name : [name];
      if (names.every((n) => one.getKeyword(n))) {
        return one;
      }
      return addKeyword(def, ...rest);
    };
    return one;
  };
}

// check validates files, printing a line per file, and returns how many
// are invalid.
function check(files) {
  let bad = 0;
  for (const file of files) {
    const def = JSON.parse(fs.readFileSync(file, 'utf8'));
    // The validator mutates its argument: give it a deep clone.
    const res = validator(structuredClone(def), { checkPaths: true, checkArn: true });
    if (res.isValid) {
      console.log('ok ' + file);
      continue;
    }
    bad++;
    console.log('invalid ' + file);
    for (const err of res.errors) {
      console.log('  ' + (err['Error code'] || '') + ' ' + JSON.stringify(err));
    }
  }
  return bad;
}

if (process.argv[2] === '--serve') {
  const lines = require('readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let bad;
    try {
      bad = check(JSON.parse(line));
    } catch (e) {
      console.log('error ' + e.message);
      bad = 1;
    }
    console.log('end ' + bad);
  });
} else {
  process.exit(check(process.argv.slice(2)) > 0 ? 1 : 0);
}
