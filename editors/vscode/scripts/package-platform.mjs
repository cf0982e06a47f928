// Packages platform-specific .vsix files with the keras-lsp binary inside (server/keras-lsp), as
// `vsce package --target TARGET`. The binary comes from a wheel (the one pip installs; each
// platform's wheel carries that platform's binary) or from a file (default: the repository's
// target/release/keras-lsp, for this machine's target).
//
//   node scripts/package-platform.mjs                          # target/release/keras-lsp, this machine's target
//   node scripts/package-platform.mjs --bin PATH [--target T]  # a binary
//   node scripts/package-platform.mjs --wheel keras_lsp-0.1.0-py3-none-manylinux_2_17_x86_64.whl
//   node scripts/package-platform.mjs --wheel a.whl --wheel b.whl ...   # one .vsix per target
//
// The target of a wheel is read from its platform tag (manylinux x86_64 -> linux-x64, aarch64 ->
// linux-arm64, armv7l -> linux-armhf, musllinux -> alpine-*, macosx x86_64/arm64 -> darwin-*,
// universal2 -> both, win_amd64 -> win32-x64, win_arm64 -> win32-arm64). --out DIR (default: the
// extension folder). Prints the path of each .vsix made.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { binaryFormatOk, binaryFromWheel, hostTarget, targetsForWheel } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ext = resolve(here, '..');

function fail(message) {
  console.error(`package-platform: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { wheels: [], bin: undefined, target: undefined, out: ext };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!['--wheel', '--bin', '--target', '--out'].includes(key) || value === undefined) {
      fail(`unknown or incomplete argument: ${key}\nusage: package-platform.mjs [--wheel W]... [--bin B] [--target T] [--out DIR]`);
    }
    i++;
    if (key === '--wheel') {
      args.wheels.push(resolve(value));
    } else {
      args[key.slice(2)] = key === '--target' ? value : resolve(value);
    }
  }
  if (args.wheels.length > 0 && args.bin) {
    fail('give --wheel or --bin, not both');
  }
  if (args.target && args.wheels.length > 1) {
    fail('--target applies to a single wheel or binary');
  }
  return args;
}

/** [{ target, exe, data, from }] to package. */
function jobs(args) {
  if (args.wheels.length === 0) {
    const exeName = process.platform === 'win32' ? 'keras-lsp.exe' : 'keras-lsp';
    const bin = args.bin ?? join(ext, '..', '..', 'target', 'release', exeName);
    if (!existsSync(bin)) {
      fail(`${bin} not found (build it with cargo build --release, or give --bin or --wheel)`);
    }
    const target = args.target ?? hostTarget();
    const exe = target.startsWith('win32-') ? 'keras-lsp.exe' : 'keras-lsp';
    return [{ target, exe, data: readFileSync(bin), from: bin }];
  }
  return args.wheels.flatMap((wheel) => {
    const targets = args.target ? [args.target] : targetsForWheel(wheel);
    if (targets.length === 0) {
      fail(`${basename(wheel)}: no VS Code target for its platform tag`);
    }
    const { name, data } = binaryFromWheel(readFileSync(wheel));
    return targets.map((target) => ({ target, exe: name, data, from: basename(wheel) }));
  });
}

function vsce(args) {
  const bin = join(ext, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  if (!existsSync(bin)) {
    fail(`${bin} not found: run npm ci in ${ext} first`);
  }
  // vsce's own report goes to stderr: stdout lists only the .vsix files made.
  const r = spawnSync(bin, args, { cwd: ext, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (r.status !== 0) {
    fail(`vsce ${args.join(' ')} failed (exit ${r.status})`);
  }
}

const args = parseArgs(process.argv.slice(2));
const version = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8')).version;
mkdirSync(args.out, { recursive: true });
const serverDir = join(ext, 'server');
for (const job of jobs(args)) {
  if (!binaryFormatOk(job.target, job.data.subarray(0, 4))) {
    fail(`${job.from}: the binary is not an executable for ${job.target}`);
  }
  const dest = join(serverDir, job.exe);
  const vsix = join(args.out, `keras-lsp-${job.target}-${version}.vsix`);
  writeFileSync(dest, job.data);
  chmodSync(dest, 0o755);
  try {
    console.error(`package-platform: ${job.from} -> server/${job.exe}, vsce package --target ${job.target}`);
    vsce([
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '--no-rewrite-relative-links',
      '--target',
      job.target,
      '--out',
      vsix,
    ]);
  } finally {
    // Not left behind for a later universal `npm run package`.
    rmSync(dest, { force: true });
  }
  console.log(vsix);
}
