import assert from "node:assert/strict";
import { type LinkChange, LinkTable } from "../../lib/ip/link_table.ts";
import { parseLinkLine } from "../../lib/ip/link_monitor.ts";

// Lines of `ip -o -4 monitor link` captured in a namespace holding the veth
// pair eth0 (index 3) and peer0 (index 2), cut after the state.
const TAIL = " mtu 1500 qdisc noqueue state";
const RENAMED_UP = `3: wan0@peer0: <BROADCAST,MULTICAST,UP,LOWER_UP>${TAIL} UP`;
const WAN0_DOWN = `3: wan0@peer0: <BROADCAST,MULTICAST>${TAIL} DOWN`;
const PEER_DOWN =
  `2: peer0@eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN>${TAIL} ` +
  "LOWERLAYERDOWN";
const ETH0_DOWN = `3: eth0@peer0: <BROADCAST,MULTICAST>${TAIL} DOWN`;
const ETH0_UP = `3: eth0@peer0: <BROADCAST,MULTICAST,UP,LOWER_UP>${TAIL} UP`;
const PEER_UP = `2: peer0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP>${TAIL} UP`;

function feed(table: LinkTable, lines: readonly string[]): LinkChange[][] {
  return lines.map((line) => {
    const event = parseLinkLine(line);
    return event === undefined ? [] : table.update(event);
  });
}

function eth0At3(): LinkTable {
  return new LinkTable(new Map([["eth0", { usable: true, index: 3 }]]));
}

Deno.test("LinkTable reports a rename of an UP interface, which sends no down", () => {
  // `ip link set dev eth0 name wan0` on an UP link (Linux 6.2 and later).
  assert.deepEqual(feed(eth0At3(), [RENAMED_UP, WAN0_DOWN]), [
    [{
      name: "eth0",
      index: 3,
      usable: false,
      deleted: false,
      renamedTo: "wan0",
    }],
    [],
  ]);
});

Deno.test("LinkTable reports the rename that follows taking a link down", () => {
  // `ip link set dev eth0 down; ip link set dev eth0 name wan0`, then wan0
  // comes up: nothing about wan0 concerns eth0 any more.
  assert.deepEqual(
    feed(eth0At3(), [ETH0_DOWN, PEER_DOWN, WAN0_DOWN, RENAMED_UP, PEER_UP]),
    [
      [{ name: "eth0", index: 3, usable: false, deleted: false }],
      [],
      [{
        name: "eth0",
        index: 3,
        usable: false,
        deleted: false,
        renamedTo: "wan0",
      }],
      [],
      [],
    ],
  );
});

Deno.test("LinkTable takes a link renamed back to a managed name up again", () => {
  // wan0 down, renamed to eth0, then up.
  const lines = [
    RENAMED_UP,
    WAN0_DOWN,
    ETH0_DOWN,
    "3: eth0@peer0: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP>" + TAIL +
    " LOWERLAYERDOWN",
    ETH0_UP,
    PEER_UP,
  ];
  const changes = feed(eth0At3(), lines);
  assert.equal(changes[0]?.[0]?.renamedTo, "wan0");
  assert.deepEqual(changes.slice(1), [
    [],
    [],
    [{ name: "eth0", index: 3, usable: true, deleted: false }],
    [],
    [],
  ]);
});

Deno.test("LinkTable reports a removal, and a new interface of the name", () => {
  // `ip link del eth0`, then a new veth pair eth0 (index 5) and peer0.
  const lines = [
    `3: eth0@NONE: <BROADCAST,MULTICAST>${TAIL} DOWN`,
    `2: peer0@NONE: <BROADCAST,MULTICAST>${TAIL} DOWN`,
    "Deleted 3: eth0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state " +
    "DOWN",
    "Deleted 2: peer0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state " +
    "DOWN",
    "5: eth0@peer0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state " +
    "DOWN",
    "5: eth0@peer0: <BROADCAST,MULTICAST,UP,LOWER_UP>" + TAIL + " UP",
    // The old index, under the name it never had: not a rename of eth0.
    `3: wan0@peer0: <BROADCAST,MULTICAST>${TAIL} DOWN`,
  ];
  assert.deepEqual(feed(eth0At3(), lines), [
    [{ name: "eth0", index: 3, usable: false, deleted: false }],
    [],
    [{ name: "eth0", index: 3, usable: false, deleted: true }],
    [],
    [],
    [{ name: "eth0", index: 5, usable: true, deleted: false }],
    [],
  ]);
});

Deno.test("LinkTable learns the index of an interface listed without one", () => {
  const table = new LinkTable(new Map([["eth0", { usable: true }]]));
  assert.deepEqual(feed(table, [ETH0_UP, RENAMED_UP]), [
    [],
    [{
      name: "eth0",
      index: 3,
      usable: false,
      deleted: false,
      renamedTo: "wan0",
    }],
  ]);
});

Deno.test("LinkTable reports a swap of two managed names as two renames", () => {
  // eth0 (3) renamed to eth1 after eth1 (4) was renamed away to tmp0;
  // lines in the captured format.
  const table = new LinkTable(
    new Map([
      ["eth0", { usable: true, index: 3 }],
      ["eth1", { usable: true, index: 4 }],
    ]),
  );
  const changes = feed(table, [
    `4: tmp0@peer1: <BROADCAST,MULTICAST,UP,LOWER_UP>${TAIL} UP`,
    `3: eth1@peer0: <BROADCAST,MULTICAST,UP,LOWER_UP>${TAIL} UP`,
  ]);
  assert.deepEqual(changes, [
    [{
      name: "eth1",
      index: 4,
      usable: false,
      deleted: false,
      renamedTo: "tmp0",
    }],
    [
      {
        name: "eth0",
        index: 3,
        usable: false,
        deleted: false,
        renamedTo: "eth1",
      },
      { name: "eth1", index: 3, usable: true, deleted: false },
    ],
  ]);
});
