#!/usr/bin/env node
// `npm run prebuilds` (in packages/cn-proc). Builds the addon for this machine and stores it where node-gyp-build looks first on a matching device:
// prebuilds/<platform>-<arch>/node.napi.<libc>.node. Run on each target (linux x64, linux arm64; glibc, musl).
// Node-API is ABI-stable, so one binary per architecture and libc serves every Node >= 20.
// PREBUILD_ARCH=arm64 cross-builds the linux-arm64 glibc binary on x64 (Debian: gcc-aarch64-linux-gnu).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cross = process.env.PREBUILD_ARCH;
const arch = cross ?? process.arch;
const toolchain = cross === 'arm64' ? { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-gcc', AR: 'aarch64-linux-gnu-ar' } : {};
const musl = !cross && !process.report?.getReport().header?.glibcVersionRuntime;
const libc = musl ? 'musl' : 'glibc';
// npm puts its bundled node-gyp on PATH for scripts; outside npm, fall back to npm's copy next to node.
const gyp = process.env.npm_config_node_gyp;
const args = ['rebuild', ...(cross ? [`--arch=${cross}`] : [])];
const run = gyp ? [process.execPath, [gyp, ...args]] : ['node-gyp', args];
execFileSync(run[0], run[1], { cwd: root, stdio: 'inherit', env: { ...process.env, ...toolchain } });
const built = join(root, 'build', 'Release', 'cn_proc.node');
if (!existsSync(built)) throw new Error(`no ${built} after the build`);
const dir = join(root, 'prebuilds', `${process.platform}-${arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `node.napi.${libc}.node`);
copyFileSync(built, target);
// The stored binary must not need more than the device has: strip debug symbols where strip exists.
try { execFileSync(cross === 'arm64' ? 'aarch64-linux-gnu-strip' : 'strip', ['--strip-unneeded', target]); } catch { /* optional */ }
console.log(`prebuilt ${target}`);
