/** uid -> user name from the host's passwd file, reread only when the file changes. */
import { errorCode, type FileIdentity, type HostFs } from './host-fs.js';
import { parsePasswd } from './parse.js';

/** /etc/passwd on an embedded device is a few KB; this bounds a hostile or broken one. */
const MAX_PASSWD_BYTES = 4 * 1024 * 1024;

export class PasswdCache {
  private users = new Map<number, string>();
  private identity: FileIdentity | undefined;

  constructor(
    private readonly path: string,
    private readonly fs: HostFs,
    private readonly onProblem: (what: string, path: string, err: unknown) => void,
  ) {}

  /** One stat; the file is parsed again only when its inode, size or mtime moved. */
  refresh(): void {
    let id: FileIdentity;
    try {
      id = this.fs.stat(this.path);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.onProblem('passwd', this.path, err);
      this.users = new Map();
      this.identity = undefined;
      return;
    }
    const prev = this.identity;
    if (prev && prev.ino === id.ino && prev.size === id.size && prev.mtimeMs === id.mtimeMs) return;
    try {
      this.users = parsePasswd(this.fs.readText(this.path, MAX_PASSWD_BYTES));
      this.identity = id;
    } catch (err) {
      this.onProblem('passwd', this.path, err);
    }
  }

  lookup(uid: number): string | undefined {
    return this.users.get(uid);
  }
}
