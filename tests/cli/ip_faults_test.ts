/**
 * `ip` failing under a running client: the real iproute2 is wrapped by a
 * script first on the client's PATH that, while a flag file exists, applies
 * only the first half of each `ip -force -batch` and reports the rest as
 * refused by the kernel, as a lost capability or a busy netlink would.
 */

import assert from "node:assert/strict";
import { Lab } from "../../lib/lab/lab.ts";
import type { ClasslessRoute } from "../../lib/lab/dhcp_server.ts";
import { waitUntil } from "./_wait.ts";

const READY = /ready: eth0 configured/;
const APPLY_FAILED = new RegExp(
  "eth0: applying the lease failed, retrying in 2 s: " +
    ".*ip route replace 10\\.20\\.0\\.0/16 .*Operation not permitted",
);
const REMOVE_FAILED = new RegExp(
  "eth0: removing the lease failed, retrying in 2 s: " +
    ".*ip addr del .*Operation not permitted",
);
const REMOVE_FAILED_AT_EXIT =
  /eth0: removing the lease failed: .*ip addr del .*Operation not permitted/;

// A route besides the default one, so that a lease's batch has lines
// after its address: half of them leaves an address without its routes.
const ROUTES: readonly ClasslessRoute[] = [
  { destination: "10.20.0.0", prefix: 16, gateway: "198.18.0.253" },
  { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.1" },
];

const EXPECTED_ROUTES = [
  "10.20.0.0/16 via 198.18.0.253 dev eth0",
  "198.18.0.0/24 dev eth0",
  "default via 198.18.0.1 dev eth0",
];

// The batch is read first: a line number in "Command failed -:N" must be
// the line's number in the whole input, as iproute2 reports it.
function wrapperScript(real: string, flag: string): string {
  return `#!/bin/sh
if [ -e '${flag}' ] && [ "$*" = "-4 -force -batch -" ]; then
  input=$(cat)
  total=$(printf '%s\\n' "$input" | wc -l)
  kept=$(( (total + 1) / 2 ))
  printf '%s\\n' "$input" | head -n "$kept" | '${real}' "$@"
  line=$(( kept + 1 ))
  while [ "$line" -le "$total" ]; do
    echo "RTNETLINK answers: Operation not permitted" >&2
    echo "Command failed -:$line" >&2
    line=$(( line + 1 ))
  done
  exit 1
fi
exec '${real}' "$@"
`;
}

/** A directory holding the wrapper, and the flag that makes it fail. */
interface FailingIp extends AsyncDisposable {
  /** The client's PATH, with the wrapper first. */
  env: Record<string, string>;
  /** Makes lease batches fail from now on. */
  fail(): Promise<void>;
  /** Lets every command through to the real `ip` again. */
  heal(): Promise<void>;
}

async function failingIp(): Promise<FailingIp> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-ip-" });
  const flag = `${dir}/fail`;
  const real = await realIp();
  await Deno.writeTextFile(`${dir}/ip`, wrapperScript(real, flag), {
    mode: 0o755,
  });
  return {
    env: { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin"}` },
    fail: () => Deno.writeTextFile(flag, ""),
    heal: () => Deno.remove(flag),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

async function realIp(): Promise<string> {
  for (const path of ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // Not installed there.
    }
  }
  throw new Error("iproute2's ip was not found in /usr/sbin, /sbin or /bin");
}

function routeLines(lab: Lab): Promise<string[]> {
  return lab.routes().then((routes) =>
    routes.map((r) =>
      `${r.destination}${r.gateway ? ` via ${r.gateway}` : ""} dev ${r.device}`
    ).sort()
  );
}

Deno.test({
  name: "ip failing half-way through a lease is logged, retried, and the " +
    "lease is then applied in full",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ip = await failingIp();
    await using lab = await Lab.create({ classlessRoutes: ROUTES });
    await ip.fail();
    const client = lab.spawnClient([
      "--state-dir",
      "none",
      "--resolv-conf",
      "none",
      "eth0",
    ], { env: ip.env });
    try {
      await client.waitFor(APPLY_FAILED, 15_000);
      // Half applied: the address is in, its routes are not.
      assert.equal((await lab.addresses("eth0")).length, 1);
      assert.deepEqual(await routeLines(lab), ["198.18.0.0/24 dev eth0"]);
      // Retried, and failing again while ip still fails.
      await waitUntil(
        () =>
          client.lines("stderr").filter((l) => APPLY_FAILED.test(l.text))
            .length >= 2,
        5_000,
        () => `no second attempt:\n${client.output()}`,
      );
      assert.doesNotMatch(client.output(), READY);
      await ip.heal();
      await client.waitFor(
        /eth0: applied the lease after \d+ failed attempts/,
        5_000,
      );
      await client.waitFor(READY, 2_000);
      const addresses = await lab.addresses("eth0");
      assert.equal(addresses.length, 1, JSON.stringify(addresses));
      const lifetime = addresses[0]?.validLifetime ?? Infinity;
      assert.ok(lifetime > 3500 && lifetime <= 3600, String(lifetime));
      assert.deepEqual(await routeLines(lab), EXPECTED_ROUTES);
      assert.equal(client.exited, false, client.output());
    } finally {
      await client.stop();
    }
    assert.doesNotMatch(client.output(), /Uncaught|panicked/);
  },
});

Deno.test({
  name: "ip failing while a lease is released or removed at exit is logged " +
    "and the client keeps running",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ip = await failingIp();
    await using lab = await Lab.create({ classlessRoutes: ROUTES });
    const client = lab.spawnClient([
      "--release",
      "--state-dir",
      "none",
      "--resolv-conf",
      "none",
      "eth0",
    ], { env: ip.env });
    try {
      await client.waitFor(READY, 15_000);
      await t.step("released with SIGUSR2", async () => {
        await ip.fail();
        client.signal("SIGUSR2");
        await client.waitFor(REMOVE_FAILED, 5_000);
        // The default route went first, by a command of its own; the
        // address the failed line should have deleted is still there.
        assert.deepEqual(await routeLines(lab), ["198.18.0.0/24 dev eth0"]);
        assert.equal((await lab.addresses("eth0")).length, 1);
        assert.equal(client.exited, false, client.output());
      });
      await t.step("the released address goes once ip works", async () => {
        await ip.heal();
        await client.waitFor(
          /eth0: removed the lease after \d+ failed attempts/,
          5_000,
        );
        assert.deepEqual(await lab.addresses("eth0"), []);
        assert.deepEqual(await routeLines(lab), []);
      });
      await t.step("acquired again", async () => {
        client.signal("SIGUSR1");
        await waitUntil(
          async () =>
            JSON.stringify(await routeLines(lab)) ===
              JSON.stringify(EXPECTED_ROUTES),
          10_000,
          async () => `routes: ${await routeLines(lab)}\n${client.output()}`,
        );
        assert.equal((await lab.addresses("eth0")).length, 1);
      });
      await t.step("released at exit", async () => {
        await ip.fail();
        const status = await client.stop();
        assert.equal(status.code, 0, client.output());
        // Logged, not retried: the process is ending.
        assert.match(client.output(), REMOVE_FAILED_AT_EXIT);
        assert.equal((await lab.addresses("eth0")).length, 1);
      });
    } finally {
      await client.stop();
    }
    assert.doesNotMatch(client.output(), /Uncaught|panicked/);
  },
});
