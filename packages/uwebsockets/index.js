const { selectBuild } = require('./select.js');
const builds = require('./builds.js');

const selected = selectBuild(builds);
module.exports = selected.module;
Object.defineProperty(module.exports, '__build', { value: selected.name, enumerable: false });
