'use strict';
// How each TLS model is asked of the compiler, and what the linker leaves.
const MODELS = {
  'global-dynamic': { shared: true, flags: ['-ftls-model=global-dynamic'] },
  'local-dynamic': { shared: true, flags: ['-ftls-model=local-dynamic', '-DTI_FIXTURE_LOCAL'] },
  'initial-exec': { shared: true, flags: ['-ftls-model=initial-exec'] },
  tlsdesc: { shared: true, flags: ['-mtls-dialect=gnu2'] },
  'local-exec': { shared: false, flags: ['-ftls-model=local-exec'] },
};

module.exports = { MODELS };
