import assert from "node:assert/strict";
import {
  isOwnershipEvent,
  RouteWatcher,
  spawnChild,
} from "../../lib/route/route_watcher.ts";

Deno.test("isOwnershipEvent() picks link and default route", async (t) => {
  // Lines as printed by `ip -4 monitor route link`.
  const cases: Array<[string, boolean]> = [
    ["Deleted default via 198.18.0.1 dev eth0 proto dhcp ", true],
    ["default via 198.18.1.1 dev eth1 proto dhcp ", true],
    ["Deleted 0.0.0.0/0 via 198.18.0.1 dev eth0", true],
    [
      "3: eth0@peer0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue " +
      "state DOWN group default ",
      true,
    ],
    ["Deleted 4: eth2@peer2: <BROADCAST,MULTICAST> mtu 1500", true],
    ["198.18.0.0/24 dev eth0 proto kernel scope link src 198.18.0.2 ", false],
    ["Deleted 10.0.0.0/8 via 198.18.0.1 dev eth0", false],
    ["    link/ether 5a:fa:2b:26:f6:22 brd ff:ff:ff:ff:ff:ff", false],
    ["defaultish", false],
  ];
  for (const [line, expected] of cases) {
    await t.step(
      line.trim(),
      () => assert.equal(isOwnershipEvent(line), expected),
    );
  }
});

Deno.test("RouteWatcher calls back on events and stops its child", async () => {
  let events = 0;
  const child = { current: undefined as Deno.ChildProcess | undefined };
  const watcher = new RouteWatcher((argv) => {
    assert.deepEqual(argv, ["ip", "-4", "monitor", "route", "link"]);
    child.current = spawnChild([
      "sh",
      "-c",
      "echo '10.0.0.0/8 dev eth0'; echo 'Deleted default dev eth0'; " +
      "exec sleep 30",
    ]);
    return child.current;
  }, () => events++);
  watcher.start();
  watcher.start();
  for (let i = 0; i < 100 && events === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(events, 1);
  await watcher.stop();
  const status = await child.current?.status;
  assert.equal(status?.signal, "SIGTERM");
  await watcher.stop();
});

Deno.test("RouteWatcher survives a missing ip", async () => {
  const watcher = new RouteWatcher(() => {
    throw new Deno.errors.NotFound("ip");
  }, () => {});
  watcher.start();
  await watcher.stop();
});
