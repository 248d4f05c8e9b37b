// `--baseline <git-ref>`: another build of Tollgate, measured in the same run as the one checked
// out. The ref is checked out into a temporary git worktree (under the OS temp directory), built
// there with `npm run build` against the main checkout's node_modules (symlinked), and removed
// again at the end of the run, also when the run fails or is interrupted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const git = (root, args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * Checks `ref` out into a fresh worktree and builds it. Returns `{ ref, commit, dir, bin,
 * remove() }`; `remove()` is synchronous (usable from a signal handler) and idempotent.
 */
export function prepareBaseline(root, ref, log) {
  let commit;
  try {
    commit = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--baseline: '${ref}' does not name a commit in ${root}`);
  }
  const parent = mkdtempSync(join(tmpdir(), 'tollgate-bench-baseline-'));
  const dir = join(parent, 'tollgate');
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    try {
      git(root, ['worktree', 'remove', '--force', dir]);
    } catch {
      // not added (or already gone): the directory is removed below, prune forgets it
    }
    rmSync(parent, { recursive: true, force: true });
    try {
      git(root, ['worktree', 'prune']);
    } catch {
      // nothing to prune
    }
  };
  try {
    git(root, ['worktree', 'add', '--detach', dir, commit]);
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    log(`Building the baseline ${ref} (${commit.slice(0, 7)}) in ${dir}…`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const bin = join(dir, 'bin', 'tollgate.js');
    if (!existsSync(bin) || !existsSync(join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`the build of ${ref} has no bin/tollgate.js or dist/cli/main.js`);
    return { ref, commit, short: commit.slice(0, 7), dir, bin, remove };
  } catch (error) {
    remove();
    const output = [error?.stdout, error?.stderr].filter(Boolean).join('\n').trim();
    const stderr = output ? `\n${output.slice(-4000)}` : '';
    throw new Error(`--baseline ${ref}: ${error instanceof Error ? error.message : String(error)}${stderr}`);
  }
}
