'use strict';
// require('tls-inspect/register'), node -r tls-inspect/register app.js, or
// NODE_OPTIONS="-r tls-inspect/register": explain failed native addon loads.
require('./lib/loader/register').install();
