// Copies the keras-lsp binary into server/ so that `vsce package --target ...` ships it.
// Source: $KERAS_LSP_BIN, else ../../target/release/keras-lsp.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const exe = process.platform === 'win32' ? 'keras-lsp.exe' : 'keras-lsp';
const source = resolve(process.env.KERAS_LSP_BIN ?? join(here, '..', '..', '..', 'target', 'release', exe));
if (!existsSync(source)) {
  console.error(`bundle-server: ${source} not found (build it, or set KERAS_LSP_BIN)`);
  process.exit(1);
}
const dest = join(here, '..', 'server', exe);
mkdirSync(dirname(dest), { recursive: true });
copyFileSync(source, dest);
chmodSync(dest, 0o755);
console.log(`bundle-server: ${source} -> ${dest}`);
