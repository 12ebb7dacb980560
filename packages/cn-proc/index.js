'use strict';
// The kernel's process events connector for Node (Linux only): prebuilt binary if one matches, else the source build.
if (process.env.IOT_MICRO_AGENT_NO_CN_PROC === '1') {
  throw Object.assign(new Error('cn-proc addon disabled by IOT_MICRO_AGENT_NO_CN_PROC=1'), { code: 'ECNPROC_DISABLED' });
}
module.exports = require('node-gyp-build')(__dirname);
