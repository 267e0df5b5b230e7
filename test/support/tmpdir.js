'use strict';
// Mocha root hooks: the whole run gets a private temp dir (TMPDIR, inherited by
// every child process and compiler), removed at the end whatever happened.
// Anything a test left in it fails the run, so leaks show where they start.
const fs = require('fs');
const os = require('os');
const path = require('path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-test-run-'));
fs.chmodSync(dir, 0o755); // others may pass through, as through /tmp: tests act as another user in it
process.env.TMPDIR = dir;

exports.mochaHooks = {
  afterAll() {
    const left = fs.readdirSync(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    if (left.length) throw new Error(`tests left in the temp dir: ${left.join(', ')}`);
  },
};
