// Bundles the extension into dist/extension.js (and, with --tests, the unit tests into dist-test/).
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  logLevel: 'warning',
};

if (tests) {
  const entryPoints = readdirSync('src/test')
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `src/test/${f}`);
  await esbuild.build({ ...common, entryPoints, outdir: 'dist-test', sourcemap: 'inline' });
} else {
  const options = {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
  };
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  } else {
    await esbuild.build(options);
  }
}
