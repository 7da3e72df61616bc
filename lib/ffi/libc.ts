/**
 * The few libc functions ocidhcp needs that Deno does not expose: AF_PACKET
 * sockets with a BPF filter, poll over an eventfd, advisory file locks that
 * take no-wait requests, kill(2), which Deno allows only with unrestricted
 * --allow-run, pidfd_open(2), to learn at once of another process's
 * exit, madvise(2), to give idle pages back, and the interface ioctls, to
 * read a link without spawning `ip`.
 *
 * The library is opened lazily, on first use, so that code paths which never
 * touch a raw socket or a lock do not need `--allow-ffi`.
 *
 * @module
 */

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  // Runs on Deno's blocking thread pool so the event loop stays free; errno
  // from that thread is lost, so callers read only the return value.
  poll: {
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  // Closing an AF_PACKET socket waits for an RCU grace period
  // (synchronize_net, 8 to 16 ms); off the event loop, several closes share
  // one wait and nothing else stalls behind them.
  close_wait: {
    name: "close",
    parameters: ["i32"],
    result: "i32",
    nonblocking: true,
  },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  // Blocking lock wait, off the event loop.
  flock_wait: {
    name: "flock",
    parameters: ["i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  // Declared with the one pointer argument every request used here takes;
  // on x86_64 and aarch64 Linux a variadic call passes it the same way.
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  if_nameindex: { parameters: [], result: "pointer" },
  if_freenameindex: { parameters: ["pointer"], result: "void" },
  // Signals a process group (negative pid); Deno.kill needs an unrestricted
  // run permission for that.
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // A descriptor that poll reports readable once the process has exited
  // (Linux 5.3, glibc 2.36); optional, so that elsewhere the caller falls
  // back to asking periodically.
  pidfd_open: { parameters: ["i32", "u32"], result: "i32", optional: true },
  // Addresses as numbers: they come from the program headers, not from a
  // pointer Deno handed out.
  madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  getauxval: { parameters: ["u64"], result: "u64" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The typed libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/**
 * Returns the libc symbols, opening the library on first use.
 *
 * @returns The bound functions.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function libc(): Libc {
  library ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return library.symbols;
}

/** Linux errno names for the values ocidhcp can meet. */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  28: "ENOSPC",
  30: "EROFS",
  38: "ENOSYS",
  71: "EPROTO",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  110: "ETIMEDOUT",
  113: "EHOSTUNREACH",
};

/**
 * Reads errno of the calling thread. Meaningful only right after a failed
 * synchronous call; nonblocking calls run on another thread.
 *
 * @returns The errno value.
 */
export function errno(): number {
  const pointer = libc().__errno_location();
  if (pointer === null) return 0;
  return new Deno.UnsafePointerView(pointer).getInt32();
}

/**
 * Names an errno value.
 *
 * @param code The errno value.
 * @returns "EPERM", "ENETDOWN" and so on, or "errno N" for others.
 */
export function errnoName(code: number): string {
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

/** A libc call failed; `code` is the errno name, such as "EPERM". */
export class SystemCallError extends Error {
  /** The errno name. */
  readonly code: string;
  /** The errno value. */
  readonly errno: number;

  /**
   * @param call What was attempted, such as "bind(AF_PACKET, eth0)".
   * @param errnoValue The errno value read right after the failure.
   */
  constructor(call: string, errnoValue: number) {
    const name = errnoName(errnoValue);
    super(
      `${call} failed with ${name}` +
        (errnoValue === 1 || errnoValue === 13
          ? ": run as root or grant CAP_NET_RAW and CAP_NET_ADMIN"
          : ""),
    );
    this.name = "SystemCallError";
    this.code = name;
    this.errno = errnoValue;
  }
}

/**
 * Encodes a string as a NUL-terminated C string.
 *
 * @param text The string.
 * @returns The bytes with a trailing NUL.
 */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
