'use strict';
// Loads the compiled addon: a prebuild matching this platform and libc, or
// the local build.  Kept in one place so every module shares one instance.
const path = require('path');

module.exports = require('node-gyp-build')(path.resolve(__dirname, '..'));
