// Builds dist/tag.js (minified IIFE) and dist/manifest.json, prints the gzipped
// size and fails when it is above the budget (6 KB unless --max-gzip-bytes N).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const budget = Number(option('--max-gzip-bytes', 6 * 1024));
const outdir = option('--outdir', join(here, 'dist'));
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));

const result = await build({
  entryPoints: [join(here, 'src/index.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2017'],
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
const hash = createHash('sha256').update(code).digest('hex');
const version = `${pkg.version}-${hash.slice(0, 10)}`;

console.log(`tag.js ${code.length} bytes, ${gzipped} bytes gzipped (budget ${budget}), version ${version}`);
if (gzipped > budget) {
  console.error(`tag.js is ${gzipped} bytes gzipped, over the budget of ${budget} bytes: nothing written`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'tag.js'), code);
writeFileSync(
  join(outdir, 'manifest.json'),
  JSON.stringify({ version, sha256: hash, bytes: code.length, gzip_bytes: gzipped }, null, 2) + '\n',
);
