// Which VS Code platform targets (`vsce package --target ...`) a keras-lsp wheel or binary is for,
// and a small reader for the binary inside a wheel (a zip file). No dependencies.
import { inflateRawSync } from 'node:zlib';

/** vsce's targets for one wheel platform tag (PEP 425/600/656), e.g. `manylinux_2_17_x86_64`. */
export function targetsForPlatformTag(tag) {
  const linux = /^(?:manylinux\d*(?:_\d+_\d+)?|linux)_(x86_64|aarch64|armv7l)$/.exec(tag);
  if (linux) {
    return [{ x86_64: 'linux-x64', aarch64: 'linux-arm64', armv7l: 'linux-armhf' }[linux[1]]];
  }
  const musl = /^musllinux_\d+_\d+_(x86_64|aarch64)$/.exec(tag);
  if (musl) {
    return [{ x86_64: 'alpine-x64', aarch64: 'alpine-arm64' }[musl[1]]];
  }
  const mac = /^macosx_\d+_\d+_(x86_64|arm64|universal2)$/.exec(tag);
  if (mac) {
    return { x86_64: ['darwin-x64'], arm64: ['darwin-arm64'], universal2: ['darwin-x64', 'darwin-arm64'] }[mac[1]];
  }
  if (tag === 'win_amd64') {
    return ['win32-x64'];
  }
  if (tag === 'win_arm64') {
    return ['win32-arm64'];
  }
  return []; // e.g. win32 (32-bit x86), which VS Code no longer ships
}

/** The targets of a wheel, from its file name (`keras_lsp-0.1.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`). */
export function targetsForWheel(fileName) {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const m = /^[^-]+-[^-]+(?:-\d[^-]*)?-[^-]+-[^-]+-([^-]+)\.whl$/.exec(base);
  if (!m) {
    throw new Error(`not a wheel file name: ${base}`);
  }
  const targets = m[1].split('.').flatMap(targetsForPlatformTag);
  return [...new Set(targets)];
}

/** The target of the machine this runs on (for a binary built here). */
export function hostTarget(platform = process.platform, arch = process.arch, musl = false) {
  const cpu = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[arch];
  if (!cpu) {
    throw new Error(`no VS Code target for ${platform}-${arch}`);
  }
  if (platform === 'linux') {
    return musl && cpu !== 'armhf' ? `alpine-${cpu}` : `linux-${cpu}`;
  }
  if ((platform === 'darwin' || platform === 'win32') && cpu !== 'armhf') {
    return `${platform}-${cpu}`;
  }
  throw new Error(`no VS Code target for ${platform}-${arch}`);
}

/** Whether `head` (the first bytes of a binary) is the executable format `target` runs. */
export function binaryFormatOk(target, head) {
  const elf = head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  const pe = head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a;
  const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
  const macho = [0xfeedfacf, 0xcafebabe, 0xbebafeca].includes(magic);
  if (target.startsWith('linux-') || target.startsWith('alpine-')) {
    return elf;
  }
  if (target.startsWith('darwin-')) {
    return macho;
  }
  if (target.startsWith('win32-')) {
    return pe;
  }
  return false;
}

/** The entries of a zip file held in `buf`: `{ name, read() }` (stored or deflated; no zip64). */
export function zipEntries(buf) {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new Error('not a zip file (no end of central directory)');
  }
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) {
      throw new Error('corrupt zip central directory');
    }
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    entries.push({
      name,
      read() {
        if (buf.readUInt32LE(local) !== 0x04034b50) {
          throw new Error(`corrupt zip local header for ${name}`);
        }
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const data = buf.subarray(start, start + size);
        if (method === 0) {
          return Buffer.from(data);
        }
        if (method === 8) {
          return inflateRawSync(data);
        }
        throw new Error(`${name}: zip compression method ${method} is not supported`);
      },
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The keras-lsp binary inside a wheel (`keras_lsp-VERSION.data/scripts/keras-lsp[.exe]`). */
export function binaryFromWheel(buf) {
  const entry = zipEntries(buf).find((e) => /^[^/]+\.data\/scripts\/keras-lsp(\.exe)?$/.test(e.name));
  if (!entry) {
    throw new Error('the wheel holds no keras_lsp-*.data/scripts/keras-lsp');
  }
  return { name: entry.name.split('/').pop(), data: entry.read() };
}
