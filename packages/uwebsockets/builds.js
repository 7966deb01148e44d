const path = require('node:path');

// The compat package silently swaps in a slow pure-JS server when its binary fails;
// load its binary directly so a failure is a failure.
function loadCompatBinary() {
  const dir = path.dirname(require.resolve('@trufflesuite/uws-js-unofficial/package.json'));
  const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  return require(path.join(dir, 'binaries', file));
}

module.exports = [
  { name: 'official v20.57.0 (@btc-vision/uwebsockets.js)', load: () => require('@btc-vision/uwebsockets.js') },
  { name: 'compat v20.30.0 (@trufflesuite/uws-js-unofficial)', load: loadCompatBinary },
];
