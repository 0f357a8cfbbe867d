// The simulator's hands inside one machine. sandbox.ts starts it with
//   nsenter --target <init> --mount --uts --ipc --net --root --wd -- node --input-type=module -e <this file>
// so every path it opens resolves against the machine's own root (the kernel does the confinement:
// there is no host path to escape to), and every TCP connection it makes starts inside the
// machine's network namespace. It stays out of the machine's PID namespace, so the machine's own
// scripts (`pkill node`) cannot kill it. It talks to the simulator over the Node IPC channel only,
// and exits when that channel closes. Plain JavaScript with Node built-ins only: no project file
// is visible inside the machine.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const toAttrs = (st) => ({
  mode: st.mode,
  uid: st.uid,
  gid: st.gid,
  size: st.size,
  atime: Math.floor(st.atimeMs / 1000),
  mtime: Math.floor(st.mtimeMs / 1000),
});

const open = new Map();

// SETSTAT and FSETSTAT share this: a path gets the same four calls a FileHandle offers.
async function applyAttrs(target, attrs) {
  const t =
    typeof target === 'string'
      ? {
          truncate: (size) => fs.truncate(target, size),
          chmod: (mode) => fs.chmod(target, mode),
          chown: (uid, gid) => fs.chown(target, uid, gid),
          utimes: (atime, mtime) => fs.utimes(target, atime, mtime),
        }
      : target;
  if (attrs.size !== undefined) await t.truncate(attrs.size);
  if (attrs.mode !== undefined) await t.chmod(attrs.mode & 0o7777);
  if (attrs.uid !== undefined && attrs.gid !== undefined) await t.chown(attrs.uid, attrs.gid);
  if (attrs.atime !== undefined && attrs.mtime !== undefined)
    await t.utimes(attrs.atime, attrs.mtime);
}

function fileOf(fd) {
  const file = open.get(fd);
  if (!file) throw Object.assign(new Error('bad handle'), { code: 'EBADF' });
  return file;
}

const ops = {
  async open({ path: p, flags, mode }) {
    const file = await fs.open(p, flags, mode ?? 0o644);
    open.set(file.fd, file);
    return file.fd;
  },
  async read({ fd, offset, length }) {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await fileOf(fd).read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  },
  async write({ fd, offset, data }) {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await fileOf(fd).write(
        bytes,
        done,
        bytes.length - done,
        offset + done,
      );
      done += bytesWritten;
    }
  },
  async close({ fd }) {
    const file = fileOf(fd);
    open.delete(fd);
    await file.close();
  },
  fstat: async ({ fd }) => toAttrs(await fileOf(fd).stat()),
  stat: async ({ path: p }) => toAttrs(await fs.stat(p)),
  lstat: async ({ path: p }) => toAttrs(await fs.lstat(p)),
  setstat: ({ path: p, attrs }) => applyAttrs(p, attrs),
  fsetstat: ({ fd, attrs }) => applyAttrs(fileOf(fd), attrs),
  mkdir: ({ path: p, mode }) => fs.mkdir(p, { mode: mode ?? 0o755 }),
  rmdir: ({ path: p }) => fs.rmdir(p),
  remove: ({ path: p }) => fs.unlink(p),
  rename: ({ from, to }) => fs.rename(from, to),
  readlink: ({ path: p }) => fs.readlink(p),
  async realpath({ path: p }) {
    try {
      return await fs.realpath(p);
    } catch (error) {
      if (error.code === 'ENOENT') return path.resolve(p);
      throw error;
    }
  },
  async readdir({ path: p }) {
    const names = await fs.readdir(p);
    const entries = [];
    for (const name of names) {
      try {
        entries.push({ name, attrs: toAttrs(await fs.lstat(path.join(p, name))) });
      } catch {
        // Removed while listing: a real readdir would not have shown it either.
      }
    }
    return entries;
  },
};

// Security-group ingress: the simulator accepted the buyer's TCP connection on the EIP and hands
// the socket over; it is joined here to the port on the machine's private IP, where a real NAT
// would deliver it.
function forward({ host, port }, socket) {
  if (!socket) return;
  const upstream = net.connect({ host, port });
  upstream.on('connect', () => {
    socket.pipe(upstream).pipe(socket);
    socket.resume();
  });
  upstream.on('error', () => socket.resetAndDestroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
}

process.on('message', async (message, handle) => {
  if (message.op === 'forward') return forward(message, handle);
  try {
    const value = await ops[message.op](message);
    process.send({ id: message.id, ok: true, value });
  } catch (error) {
    process.send({ id: message.id, ok: false, code: error.code ?? 'EIO', message: error.message });
  }
});
process.on('disconnect', () => process.exit(0));

try {
  process.chdir('/root');
} catch {
  // No home directory yet: paths stay relative to /.
}
process.send({ ready: true });
