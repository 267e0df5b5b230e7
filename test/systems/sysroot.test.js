'use strict';
// --sysroot over the lab's Debian roots (bullseye, bookworm, trixie; built by
// scripts/lab.js, cached per user) and any other root file system named by
// TI_TEST_SYSROOTS (colon-separated: extracted images, debootstrap trees):
// check() from outside each root agrees with
// the real loader inside it (official Node 22's process.dlopen for a corpus of
// addons, official Node 18/22/26 started there).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const h = require('../support/helpers');
const T = require('../support/sysroot-truth');
const lab = require('../../scripts/lab');

const rootsOfLab = () => Object.keys(lab.RELEASES).map((r) => path.join(lab.cacheDir(), r))
  .filter((d) => fs.existsSync(path.join(d, 'etc', 'debian_version')));

describe('systems: --sysroot of each Debian root equals the real loader inside it', function () {
  this.timeout(1800000);
  let nodes;
  const tally = T.newTally();
  let corpus;
  before(function () {
    const why = T.canChroot() || (process.arch !== 'x64' && 'x86_64 only') || (!h.haveCommand('g++') && 'no g++') ||
      (!rootsOfLab().length && !process.env.TI_TEST_SYSROOTS &&
        `no Debian root in the lab cache (${lab.cacheDir()}): test/systems/lab.test.js builds them`);
    if (why) return h.skip(this, why);
    nodes = T.officialNodes();
    if (!nodes) return h.skip(this, 'the official Node 22 binary could not be fetched from npm');
    corpus = T.buildCorpus();
  });
  after(() => { T.printTally(tally); if (corpus) T.cleanup(corpus.dir); });

  const extra = (process.env.TI_TEST_SYSROOTS || '').split(':').filter(Boolean);
  for (const release of [...Object.keys(lab.RELEASES), ...extra]) {
    it(`${release}: every addon of the corpus and every official Node, as the loader there says`, async function () {
      const root = lab.RELEASES[release] ? path.join(lab.cacheDir(), release) : release;
      if (!fs.existsSync(path.join(root, 'etc'))) return h.skip(this, `${release}: no root file system there (the lab builds its Debian roots)`);
      const staged = T.stage(root, corpus, nodes);
      const before = tally.differ.length;
      try {
        await T.compareRoot(root, staged, corpus, tally);
      } finally {
        T.cleanup(staged.copy);
      }
      assert.deepStrictEqual(tally.differ.slice(before), []);
    });
  }
});
