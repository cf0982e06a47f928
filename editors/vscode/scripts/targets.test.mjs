// Unit tests of targets.mjs (run by `npm test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';

import { binaryFormatOk, binaryFromWheel, hostTarget, targetsForWheel, zipEntries } from './targets.mjs';

test('wheel platform tags give vsce targets', () => {
  const cases = {
    'keras_lsp-0.1.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl': ['linux-x64'],
    'keras_lsp-0.1.0-py3-none-manylinux_2_28_aarch64.whl': ['linux-arm64'],
    'keras_lsp-0.1.0-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.whl': ['linux-armhf'],
    'keras_lsp-0.1.0-py3-none-linux_x86_64.whl': ['linux-x64'],
    'keras_lsp-0.1.0-py3-none-musllinux_1_2_x86_64.whl': ['alpine-x64'],
    'keras_lsp-0.1.0-py3-none-musllinux_1_2_aarch64.whl': ['alpine-arm64'],
    'keras_lsp-0.1.0-py3-none-macosx_10_12_x86_64.whl': ['darwin-x64'],
    'keras_lsp-0.1.0-py3-none-macosx_11_0_arm64.whl': ['darwin-arm64'],
    'keras_lsp-0.1.0-py3-none-macosx_10_12_x86_64.macosx_11_0_arm64.macosx_10_12_universal2.whl': ['darwin-x64', 'darwin-arm64'],
    'keras_lsp-0.1.0-py3-none-win_amd64.whl': ['win32-x64'],
    'keras_lsp-0.1.0-py3-none-win_arm64.whl': ['win32-arm64'],
    'keras_lsp-0.1.0-py3-none-win32.whl': [],
    'dist/keras_lsp-0.1.0-1-py3-none-win_amd64.whl': ['win32-x64'],
  };
  for (const [wheel, targets] of Object.entries(cases)) {
    assert.deepEqual(targetsForWheel(wheel), targets, wheel);
  }
  assert.throws(() => targetsForWheel('keras-lsp.tar.gz'), /not a wheel/);
});

test('the host target', () => {
  assert.equal(hostTarget('linux', 'x64'), 'linux-x64');
  assert.equal(hostTarget('linux', 'arm64', true), 'alpine-arm64');
  assert.equal(hostTarget('linux', 'arm'), 'linux-armhf');
  assert.equal(hostTarget('darwin', 'arm64'), 'darwin-arm64');
  assert.equal(hostTarget('win32', 'x64'), 'win32-x64');
  assert.throws(() => hostTarget('freebsd', 'x64'));
});

test('a binary must be the executable format of its target', () => {
  const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
  const pe = Buffer.from([0x4d, 0x5a, 0x90, 0x00]);
  const macho = Buffer.from([0xcf, 0xfa, 0xed, 0xfe]);
  assert.ok(binaryFormatOk('linux-x64', elf));
  assert.ok(binaryFormatOk('alpine-x64', elf));
  assert.ok(!binaryFormatOk('linux-x64', pe));
  assert.ok(binaryFormatOk('win32-x64', pe));
  assert.ok(binaryFormatOk('darwin-arm64', macho));
  assert.ok(!binaryFormatOk('darwin-arm64', elf));
  assert.ok(!binaryFormatOk('linux-x64', Buffer.from('#!/bin/sh\n')));
});

/** A zip file with `entries` ({name: [data, deflate?]}), as wheels are written. */
function zip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, [data, deflate]] of Object.entries(entries)) {
    const body = deflate ? deflateRawSync(data) : data;
    const nameBuf = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(deflate ? 8 : 0, 10);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, body);
    central.push(cd, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(entries).length, 8);
  eocd.writeUInt16LE(Object.keys(entries).length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, eocd]);
}

test('the binary is read out of a wheel (deflated or stored)', () => {
  const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(5000, 7)]);
  const wheel = zip({
    'keras_lsp/__init__.py': [Buffer.from('# package\n'), true],
    'keras_lsp-0.1.0.data/scripts/keras-lsp': [binary, true],
    'keras_lsp-0.1.0.dist-info/RECORD': [Buffer.from('...'), false],
  });
  assert.deepEqual(
    zipEntries(wheel).map((e) => e.name),
    ['keras_lsp/__init__.py', 'keras_lsp-0.1.0.data/scripts/keras-lsp', 'keras_lsp-0.1.0.dist-info/RECORD'],
  );
  const found = binaryFromWheel(wheel);
  assert.equal(found.name, 'keras-lsp');
  assert.ok(found.data.equals(binary));

  const windows = zip({ 'keras_lsp-0.1.0.data/scripts/keras-lsp.exe': [Buffer.from('MZ...'), false] });
  assert.deepEqual(binaryFromWheel(windows), { name: 'keras-lsp.exe', data: Buffer.from('MZ...') });

  assert.throws(() => binaryFromWheel(zip({ 'other.txt': [Buffer.from('x'), false] })), /holds no/);
  assert.throws(() => zipEntries(Buffer.from('not a zip at all, definitely not')), /not a zip/);
});
