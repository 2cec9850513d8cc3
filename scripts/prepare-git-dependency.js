// npm's `prepare` script. npm runs it after a plain `npm install` in this
// repository, where scripts/setup.sh (and the Dockerfile) build dist/ on
// their own, and in the clone it makes when a backend installs courier as a
// git dependency (`npm install git+https://…/courier.git`), where nothing
// else would: there npm installs the dev dependencies, runs this, then packs
// the clone. So it builds only for another project's install: npm's
// local_prefix (the project installing) is not this directory.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const installing = process.env.npm_config_local_prefix;
if (installing !== undefined && resolve(installing) !== resolve(process.cwd())) {
  console.error('courier: building dist/ for a git dependency install (npm run build)');
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { stdio: 'inherit' });
}
