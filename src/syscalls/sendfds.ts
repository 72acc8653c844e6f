// sendmsg with SCM_RIGHTS: hands descriptors to another process over a unix socket.
import koffi from 'koffi';
import { errno, libc } from './libc.js';
import { SyscallError } from './errno.js';

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const CMSG_HEADER = 16; // struct cmsghdr on 64-bit Linux: size_t len, int level, int type

function bind() {
  koffi.struct('nsbox_iovec', { base: 'void *', len: 'size_t' });
  koffi.struct('nsbox_msghdr', {
    name: 'void *',
    namelen: 'uint32_t',
    iov: 'nsbox_iovec *',
    iovlen: 'size_t',
    control: 'void *',
    controllen: 'size_t',
    flags: 'int',
  });
  return libc().lib.func('long sendmsg(int fd, const nsbox_msghdr *msg, int flags)');
}

let sendmsg: ReturnType<typeof bind> | undefined;

/** Send one byte (default 'F') carrying `fds` (maybe none); the receiver gets its own copies, ours stay open. */
export function sendFds(socket: number, fds: readonly number[], byte = 'F'): void {
  sendmsg ??= bind();
  const space = fds.length ? CMSG_HEADER + Math.ceil((fds.length * 4) / 8) * 8 : 0;
  const control = space ? Buffer.alloc(space) : null;
  if (control) {
    control.writeBigUInt64LE(BigInt(CMSG_HEADER + fds.length * 4), 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    fds.forEach((fd, i) => control.writeInt32LE(fd, CMSG_HEADER + i * 4));
  }
  const message = Buffer.from(byte);
  const msg = { name: null, namelen: 0, iov: { base: message, len: 1 }, iovlen: 1, control, controllen: space, flags: 0 };
  // MSG_NOSIGNAL: a peer that has died must give EPIPE, not kill the host with SIGPIPE.
  const sent = Number(sendmsg(socket, msg, MSG_NOSIGNAL));
  if (sent !== 1) throw new SyscallError('sendmsg(SCM_RIGHTS)', sent < 0 ? errno() : 5);
}
