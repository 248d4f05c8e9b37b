// Builds dist/ when it is missing or older than any source file, so `npm start` works on a fresh clone:
// the gateway (src/ -> dist/) and the web console (console/ -> dist/console/), each only when its sources changed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether `output` is missing or older than anything under `sourceDir`. */
function stale(output, sourceDir) {
  return !existsSync(output) || statSync(output).mtimeMs < newestMtime(sourceDir);
}

if (stale(join(root, 'dist', 'cli', 'main.js'), join(root, 'src'))) {
  process.stderr.write('Building Tollgate…\n');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}

// A package installed from the registry ships dist/console without console/ (nor vite): nothing to rebuild then.
const consoleSources = join(root, 'console');
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (existsSync(consoleSources) && existsSync(vite) && stale(join(root, 'dist', 'console', 'index.html'), consoleSources)) {
  process.stderr.write('Building the web console…\n');
  execFileSync(process.execPath, [vite, 'build', '--config', join(consoleSources, 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
}
