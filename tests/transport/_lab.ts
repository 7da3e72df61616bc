/**
 * A two-namespace network lab for transport tests: a client namespace and a
 * server namespace joined by veth pairs, deleted again by `close()`.
 *
 * @module
 */

const REPO = new URL("../../", import.meta.url).pathname;
let counter = 0;

async function ip(...args: string[]): Promise<string> {
  const output = await new Deno.Command("ip", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `ip ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** One veth pair: the client end and the server end. */
export interface Link {
  /** The client-side interface, in the client namespace. */
  client: string;
  /** The server-side interface, in the server namespace. */
  server: string;
  /** The client-side MAC address. */
  mac: string;
}

/** The namespaces and links of one lab. */
export interface Lab extends AsyncDisposable {
  clientNamespace: string;
  serverNamespace: string;
  links: Link[];
  /** Runs a test program inside the client namespace. */
  runClient(
    program: string,
    args: string[],
    options?: { timeoutMs?: number; wrapper?: string[] },
  ): Promise<ProbeResult>;
  /** Starts a long-running process inside the server namespace. */
  spawnServer(argv: string[]): Deno.ChildProcess;
  close(): Promise<void>;
}

/** What a probe printed, and how it ended. */
export interface ProbeResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time until the probe exited by itself. */
  elapsedMs: number;
  /** True when the probe had to be killed after the timeout. */
  timedOut: boolean;
}

/**
 * Creates the namespaces and `links` veth pairs (client ends c0, c1, ...,
 * server ends s0, s1, ... with server address 192.0.2.1/24 on s0).
 */
export async function createLab(
  options: { links?: number; clientAddress?: string } = {},
): Promise<Lab> {
  const base = `ocidhcp-t-${Deno.pid}-${++counter}`;
  const clientNamespace = `${base}-c`;
  const serverNamespace = `${base}-s`;
  const children: Deno.ChildProcess[] = [];
  const close = async (): Promise<void> => {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
    }
    await ip("netns", "del", clientNamespace).catch(() => {});
    await ip("netns", "del", serverNamespace).catch(() => {});
  };
  const links: Link[] = [];
  try {
    await ip("netns", "add", clientNamespace);
    await ip("netns", "add", serverNamespace);
    for (let i = 0; i < (options.links ?? 1); i++) {
      // A distinct high ifindex on the server end avoids the kernel's
      // delayed operstate report when both ends share an index.
      await ip(
        "-n",
        serverNamespace,
        "link",
        "add",
        `s${i}`,
        "index",
        String(1000 + i),
        "type",
        "veth",
        "peer",
        "name",
        `c${i}`,
        "netns",
        clientNamespace,
      );
      await ip("-n", serverNamespace, "link", "set", `s${i}`, "up");
      await ip("-n", clientNamespace, "link", "set", `c${i}`, "up");
      const [info] = JSON.parse(
        await ip("-n", clientNamespace, "-j", "link", "show", `c${i}`),
      ) as { address: string }[];
      links.push({ client: `c${i}`, server: `s${i}`, mac: info!.address });
    }
    await ip("-n", serverNamespace, "addr", "add", "192.0.2.1/24", "dev", "s0");
    if (options.clientAddress) {
      await ip(
        "-n",
        clientNamespace,
        "addr",
        "add",
        options.clientAddress,
        "dev",
        "c0",
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    clientNamespace,
    serverNamespace,
    links,
    async runClient(program, args, { timeoutMs = 15000, wrapper = [] } = {}) {
      const started = performance.now();
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          clientNamespace,
          ...wrapper,
          Deno.execPath(),
          "run",
          "-A",
          "--unstable-net",
          "--config",
          `${REPO}deno.json`,
          new URL(program, import.meta.url).pathname,
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      const output = await child.output();
      clearTimeout(timer);
      return {
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
        elapsedMs: performance.now() - started,
        timedOut,
      };
    },
    spawnServer(argv) {
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", serverNamespace, ...argv],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      children.push(child);
      return child;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Starts dnsmasq on s0 of the lab's server namespace, DHCP only. */
export function startDnsmasq(lab: Lab): Deno.ChildProcess {
  return lab.spawnServer([
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--leasefile-ro",
    "--port=0",
    "--pid-file=",
    "--interface=s0",
    "--bind-interfaces",
    "--no-ping",
    "--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h",
  ]);
}

/** Counts this process's open file descriptors. */
export function countFds(pid: number | "self" = Deno.pid): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}
