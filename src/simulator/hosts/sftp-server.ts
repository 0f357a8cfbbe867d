import ssh2, { type Attributes, type FileEntry, type SFTPWrapper } from 'ssh2';
import { AgentError, type Sandbox } from './sandbox.js';

const { utils } = ssh2;
const { STATUS_CODE } = utils.sftp;
const readdirPage = 100;

function statusOf(error: unknown): number {
  const code = error instanceof AgentError ? error.code : '';
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return STATUS_CODE.PERMISSION_DENIED;
  }
  return STATUS_CODE.FAILURE;
}

const typeChars: [number, string][] = [
  [0o040000, 'd'],
  [0o120000, 'l'],
  [0o020000, 'c'],
  [0o060000, 'b'],
  [0o010000, 'p'],
  [0o140000, 's'],
];

/** The `ls -l` line OpenSSH's sftp-server sends beside each name. */
function longname(name: string, attrs: Attributes): string {
  const type = typeChars.find(([bits]) => (attrs.mode & 0o170000) === bits)?.[1] ?? '-';
  const perms = [6, 3, 0]
    .map((shift) => {
      const bits = (attrs.mode >> shift) & 7;
      return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
    })
    .join('');
  const date = new Date(attrs.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return `${type}${perms} 1 ${attrs.uid} ${attrs.gid} ${attrs.size} ${date} ${name}`;
}

interface Entry {
  name: string;
  attrs: Attributes;
}

/**
 * The SFTP subsystem of one session. ssh2 parses the protocol here; every file operation is done
 * by the machine's agent, inside the machine's root, so SFTP sees exactly what the machine's own
 * processes see. Requests without a handler (SYMLINK, EXTENDED) get OP_UNSUPPORTED from ssh2.
 */
export function serveSftp(sftp: SFTPWrapper, sandbox: Sandbox): void {
  const files = new Map<number, number>();
  const dirs = new Map<number, Entry[]>();
  let nextHandle = 1;

  const newHandle = () => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(nextHandle++);
    return buffer;
  };
  const idOf = (handle: Buffer) => (handle.length === 4 ? handle.readUInt32BE(0) : -1);
  const fdOf = (handle: Buffer) => files.get(idOf(handle));

  const reply = <T>(reqId: number, work: Promise<T>, onValue?: (value: T) => void) => {
    work.then(
      (value) => (onValue ? onValue(value) : sftp.status(reqId, STATUS_CODE.OK)),
      (error: unknown) => sftp.status(reqId, statusOf(error), (error as Error).message),
    );
  };
  const withFd = (reqId: number, handle: Buffer, use: (fd: number) => void) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'invalid handle');
    use(fd);
  };

  sftp.on('OPEN', (reqId, filename, flags, attrs) => {
    const mode = utils.sftp.flagsToString(flags);
    if (!mode) return sftp.status(reqId, STATUS_CODE.BAD_MESSAGE, 'invalid open flags');
    const opening = sandbox.call<number>('open', { path: filename, flags: mode, mode: attrs.mode });
    reply(reqId, opening, (fd) => {
      const handle = newHandle();
      files.set(idOf(handle), fd);
      sftp.handle(reqId, handle);
    });
  });
  sftp.on('READ', (reqId, handle, offset, length) =>
    withFd(reqId, handle, (fd) =>
      reply(reqId, sandbox.call<Uint8Array>('read', { fd, offset, length }), (data) =>
        data.byteLength === 0
          ? sftp.status(reqId, STATUS_CODE.EOF)
          : sftp.data(reqId, Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
      ),
    ),
  );
  sftp.on('WRITE', (reqId, handle, offset, data) =>
    withFd(reqId, handle, (fd) => reply(reqId, sandbox.call('write', { fd, offset, data }))),
  );
  sftp.on('FSTAT', (reqId, handle) =>
    withFd(reqId, handle, (fd) =>
      reply(reqId, sandbox.call<Attributes>('fstat', { fd }), (a) => sftp.attrs(reqId, a)),
    ),
  );
  sftp.on('FSETSTAT', (reqId, handle, attrs) =>
    withFd(reqId, handle, (fd) => reply(reqId, sandbox.call('fsetstat', { fd, attrs }))),
  );
  sftp.on('CLOSE', (reqId, handle) => {
    const id = idOf(handle);
    if (dirs.delete(id)) return sftp.status(reqId, STATUS_CODE.OK);
    withFd(reqId, handle, (fd) => {
      files.delete(id);
      reply(reqId, sandbox.call('close', { fd }));
    });
  });
  for (const op of ['STAT', 'LSTAT'] as const) {
    sftp.on(op, (reqId: number, path: string) =>
      reply(reqId, sandbox.call<Attributes>(op.toLowerCase(), { path }), (a) =>
        sftp.attrs(reqId, a),
      ),
    );
  }
  sftp.on('SETSTAT', (reqId, path, attrs) =>
    reply(reqId, sandbox.call('setstat', { path, attrs })),
  );
  sftp.on('MKDIR', (reqId, path, attrs) =>
    reply(reqId, sandbox.call('mkdir', { path, mode: attrs.mode })),
  );
  sftp.on('RMDIR', (reqId, path) => reply(reqId, sandbox.call('rmdir', { path })));
  sftp.on('REMOVE', (reqId, path) => reply(reqId, sandbox.call('remove', { path })));
  sftp.on('RENAME', (reqId, from, to) => reply(reqId, sandbox.call('rename', { from, to })));
  for (const op of ['REALPATH', 'READLINK'] as const) {
    sftp.on(op, (reqId: number, path: string) =>
      reply(reqId, sandbox.call<string>(op.toLowerCase(), { path }), (name) =>
        sftp.name(reqId, [{ filename: name, longname: name, attrs: {} as Attributes }]),
      ),
    );
  }
  sftp.on('OPENDIR', (reqId, path) =>
    reply(reqId, sandbox.call<Entry[]>('readdir', { path }), (entries) => {
      const handle = newHandle();
      dirs.set(idOf(handle), entries);
      sftp.handle(reqId, handle);
    }),
  );
  // Listings go out in pages so a big directory never exceeds a client's maximum packet size.
  sftp.on('READDIR', (reqId, handle) => {
    const entries = dirs.get(idOf(handle));
    if (!entries) return sftp.status(reqId, STATUS_CODE.FAILURE, 'invalid handle');
    const page = entries.splice(0, readdirPage);
    if (page.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);
    const names: FileEntry[] = page.map((e) => ({
      filename: e.name,
      longname: longname(e.name, e.attrs),
      attrs: e.attrs,
    }));
    sftp.name(reqId, names);
  });

  // A client that disconnects without CLOSE must not leak descriptors in the agent.
  sftp.on('close', () => {
    for (const fd of files.values()) sandbox.call('close', { fd }).catch(() => {});
    files.clear();
    dirs.clear();
  });
}
